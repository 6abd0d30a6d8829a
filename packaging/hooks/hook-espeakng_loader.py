"""espeakng-loader hands phonemizer the espeak-ng library and its espeak-ng-data/ folder by their paths
inside the package, so both must sit in espeakng_loader/ in the bundle."""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

datas = collect_data_files("espeakng_loader")
binaries = collect_dynamic_libs("espeakng_loader")
