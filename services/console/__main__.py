"""Run the console: ``python -m services.console`` (port 8000, or ``CONSOLE_PORT``)."""

import uvicorn

from services.console.app import create_app
from services.console.settings import ConsoleSettings


def main() -> None:
    """Serve the console with the settings from the environment."""
    settings = ConsoleSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.console_port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
