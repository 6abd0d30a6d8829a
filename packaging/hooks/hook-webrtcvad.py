"""webrtcvad reads its version from the metadata of the distribution it comes in, webrtcvad-wheels
(the contrib hook copies that of 'webrtcvad', which is not installed)."""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
