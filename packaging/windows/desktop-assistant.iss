; Inno Setup 6 script: packs the PyInstaller one-folder bundle dist\desktop-assistant\ (built by
; packaging\desktop-assistant.spec on Windows) into an installer. Built and signed on Windows only, never
; here; packaging\README.md gives the steps:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\desktop-assistant.iss
;
; It installs into Program Files (or, when the user chooses to install only for themselves, into
; %LOCALAPPDATA%\Programs without administrator rights), adds a Start-menu entry, and optionally starts the
; app at login: through the app's own "config set ui.start_at_login true", so the Run value it writes is
; the one the app's setting turns off again, and the setting says so.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Desktop Assistant"
#define AppExe "desktop-assistant.exe"
#define AppUrl "https://github.com/desktopassistant/desktop-assistant"

[Setup]
; The app's id (resources\desktop); never change it, or upgrades install beside the old version.
AppId=io.github.desktopassistant.DesktopAssistant
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Desktop Assistant developers
AppPublisherURL={#AppUrl}
AppSupportURL={#AppUrl}/issues
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=desktop-assistant-{#AppVersion}-setup
SetupIconFile=packaging\windows\desktop-assistant.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The running app holds its files open; the Restart Manager asks it to close before files are replaced.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "autostart"; Description: "Start {#AppName} when I log in"; GroupDescription: "Start-up:"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "dist\desktop-assistant\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "A private push-to-talk voice assistant"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
; As the user who started the installer (not the administrator it may have elevated to): the Run value
; lives in that user's HKEY_CURRENT_USER, and the setting in that user's settings file.
Filename: "{app}\{#AppExe}"; Parameters: "config set ui.start_at_login true"; Tasks: autostart; \
  Flags: runasoriginaluser runhidden waituntilterminated; StatusMsg: "Setting up start at login..."
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; \
  Flags: runasoriginaluser nowait postinstall skipifsilent

[UninstallRun]
; Whoever turned it on (this installer or the settings dialog), the entry goes with the app.
Filename: "{app}\{#AppExe}"; Parameters: "config set ui.start_at_login false"; \
  Flags: runhidden waituntilterminated; RunOnceId: "StartAtLoginOff"

[Code]
// The Run value is removed even where the app itself could not run (a damaged install): the same
// name that desktop_assistant/config/autostart.py (RUN_VALUE) writes.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', 'Desktop Assistant');
end;
