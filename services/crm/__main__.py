from services.crm.app import definition
from shared.app import serve

serve(definition)
