from services.workshop.app import definition
from shared.app import serve

serve(definition)
