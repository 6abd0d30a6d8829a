"""faster-whisper loads its Silero VAD model from faster_whisper/assets/ by path."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("faster_whisper") + copy_metadata("faster-whisper")
