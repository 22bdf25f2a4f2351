from services.warranty.app import definition
from shared.app import serve

serve(definition)
