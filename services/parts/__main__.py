from services.parts.app import definition
from shared.app import serve

serve(definition)
