from services.reception.app import definition
from shared.app import serve

serve(definition)
