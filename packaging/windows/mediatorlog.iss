; Inno Setup 6 script for Mediator Log on Windows (64-bit).
;
; It packs the same PyInstaller one-folder bundle as the Linux .deb (packaging/mediatorlog.spec).
; Built by .github/workflows/windows-installer.yml on a Windows machine; by hand:
;
;   pyinstaller --noconfirm --clean --distpath build\dist --workpath build\pyinstaller packaging\mediatorlog.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\mediatorlog.iss
;   iscc /DAppVersion=0.1.0 /DProfile=C:\it\laptop-07.json /DWorkstation=laptop-07 packaging\windows\mediatorlog.iss
;
; With /DProfile the installer carries that workstation's profile (from `mediatorlog provision`)
; and its file name contains /DWorkstation. Keep such an installer as private as the profile.
;
; NOT TESTED BY THIS PROJECT'S CI: it runs on Linux only. See docs/packaging.md.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\build\dist\mediatorlog"
#endif
#ifdef Profile
  #ifndef Workstation
    #error Give /DWorkstation=NAME together with /DProfile=FILE
  #endif
  #define OutputName "mediatorlog-" + Workstation + "-" + AppVersion + "-setup"
#else
  #define OutputName "mediatorlog-" + AppVersion + "-setup"
#endif

[Setup]
; The AppId must never change: it is what makes a newer installer an upgrade of the old one.
AppId={{5B0C8E57-3E0B-4C3A-9C52-6F1F5C0B7A21}
AppName=Mediator Log
AppVersion={#AppVersion}
AppPublisher=The Mediator Log authors
DefaultDirName={autopf}\Mediator Log
DefaultGroupName=Mediator Log
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build\installer
OutputBaseFilename={#OutputName}
SetupIconFile=..\..\resources\icons\mediatorlog.ico
UninstallDisplayIcon={app}\mediatorlog.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running Mediator Log before files are replaced (an upgrade); its data is not here.
CloseApplications=yes

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "de"; MessagesFile: "compiler:Languages\German.isl"
; Romanian and Bulgarian setup texts are not among Inno Setup's bundled languages in every
; version; the application itself speaks all five languages whatever the installer shows.

[InstallDelete]
; An upgrade replaces the whole bundle, so no library of an older version is left behind.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#ifdef Profile
; app.paths.installed_profile() looks for profile\workstation-profile.json beside the executable.
Source: "{#Profile}"; DestDir: "{app}\profile"; DestName: "workstation-profile.json"; Flags: ignoreversion
#endif

[Icons]
Name: "{autoprograms}\Mediator Log"; Filename: "{app}\mediatorlog.exe"
Name: "{autodesktop}\Mediator Log"; Filename: "{app}\mediatorlog.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\mediatorlog.exe"; Description: "{cm:LaunchProgram,Mediator Log}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for user data: journals live in %LOCALAPPDATA%\MediatorLog\MediatorLog
; (platformdirs) and stay when the program is uninstalled.
