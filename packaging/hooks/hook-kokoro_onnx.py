"""kokoro-onnx reads its config.json (the phoneme vocabulary) beside its modules, and its own version
from its metadata."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("kokoro_onnx") + copy_metadata("kokoro-onnx")
