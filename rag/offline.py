"""No network at run time: switch off the libraries' telemetry, analytics and hub look-ups
inside the program, not in the user's shell. Called before any of them is imported."""
import os
import sys

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "GRADIO_TELEMETRY_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


def enable() -> None:
    for key, value in _OFFLINE.items():
        os.environ[key] = value
    # `import openvino` imports its model converter, which starts Google Analytics telemetry
    # (events sent from a forked process while a model is read) unless the openvino_telemetry
    # package cannot be imported; then it uses its own no-op stub. No switch turns it off.
    sys.modules.setdefault("openvino_telemetry", None)
