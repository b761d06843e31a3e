# omamori installer for Windows.
#
# Only bootstraps: finds Python 3.10 or newer, makes a private environment (a
# venv) in your data folder (%LOCALAPPDATA%\omamori\venv), installs omamori
# from this checkout into it, then runs `omamori install` (which registers
# omamori with your browsers under HKEY_CURRENT_USER) with the options you
# gave, and protects the bundled sample picture (`omamori sample`) to show it
# all works. No administrator rights are needed.
#
#   powershell -ExecutionPolicy Bypass -File installer\install.ps1
#   ... install.ps1 --browser edge          only Edge (repeatable)
#   ... install.ps1 --dry-run               show what would happen
#   ... install.ps1 --uninstall             remove everything it made
#   ... install.ps1 --venv DIR ...          put the environment in DIR
#
# Every other option goes to `omamori install` (see `omamori install --help`).
$ErrorActionPreference = "Stop"

$Repo = Split-Path -Parent $PSScriptRoot
$Locale = if ($env:LC_ALL) { $env:LC_ALL } elseif ($env:LC_MESSAGES) { $env:LC_MESSAGES } elseif ($env:LANG) { $env:LANG } else { (Get-Culture).Name }
$Japanese = $Locale -like "ja*"

function Say([string]$En, [string]$Ja) {
    if ($Japanese) { Write-Host $Ja } else { Write-Host $En }
}

function Fail([string]$En, [string]$Ja) {
    if ($Japanese) { [Console]::Error.WriteLine($Ja) } else { [Console]::Error.WriteLine($En) }
    exit 1
}

# The data folder omamori itself uses (platformdirs' user_data_dir).
if ($env:OMAMORI_HOME) { $Data = Join-Path $env:OMAMORI_HOME "data" } else { $Data = Join-Path $env:LOCALAPPDATA "omamori" }
$Venv = Join-Path $Data "venv"

# Take out the options that belong to this script; keep the rest, in order.
$Uninstall = $false
$DryRun = $false
$Partial = $false
$Rest = New-Object System.Collections.Generic.List[string]
for ($i = 0; $i -lt $args.Count; $i++) {
    $arg = [string]$args[$i]
    if ($arg -eq "--venv") {
        if ($i + 1 -ge $args.Count) { Fail "--venv needs a folder." "--venv にはフォルダーを指定してください。" }
        $i++
        $Venv = [string]$args[$i]
        continue
    }
    if ($arg -like "--venv=*") { $Venv = $arg.Substring(7); continue }
    if ($arg -eq "--uninstall") { $Uninstall = $true }
    if ($arg -eq "--dry-run") { $DryRun = $true }
    if ($arg -like "--browser*" -or $arg -like "--user-data-dir*") { $Partial = $true }
    $Rest.Add($arg)
}

[string[]]$RestArgs = $Rest.ToArray()
$Marker = Join-Path $Venv ".omamori-installer"    # this script made the venv, so it may remove it
$VenvPython = Join-Path $Venv "Scripts\python.exe"
$Omamori = Join-Path $Venv "Scripts\omamori.exe"

if ($Uninstall) {
    if (Test-Path $Omamori) {
        & $Omamori install @RestArgs
    } else {
        Say "omamori is not installed in $Venv; nothing to unregister." "$Venv に omamori はインストールされていません。登録解除するものはありません。"
    }
    if (-not $DryRun -and -not $Partial -and (Test-Path $Marker)) {
        Remove-Item -Recurse -Force -LiteralPath $Venv
        $parent = Split-Path -Parent $Venv
        if ((Test-Path $parent) -and -not (Get-ChildItem -Force -LiteralPath $parent)) { Remove-Item -LiteralPath $parent }
        Say "Removed the environment $Venv." "環境 $Venv を削除しました。"
    }
    exit 0
}

function Find-Python {
    # The py launcher knows every installed Python; python.exe may be the Store's stub.
    $tries = @(
        @("py", "-3.14"), @("py", "-3.13"), @("py", "-3.12"), @("py", "-3.11"), @("py", "-3.10"), @("py", "-3"),
        @("python"), @("python3")
    )
    foreach ($try in $tries) {
        if (-not (Get-Command $try[0] -ErrorAction SilentlyContinue)) { continue }
        $cmdArgs = @($try | Select-Object -Skip 1) + @("-c", "import sys; print(sys.executable) if sys.version_info >= (3, 10) else sys.exit(1)")
        try {
            $exe = & $try[0] @cmdArgs 2>$null
            if ($LASTEXITCODE -eq 0 -and $exe) { return ([string]$exe).Trim() }
        } catch { continue }
    }
    return $null
}

if (-not (Test-Path $VenvPython)) {
    $Python = Find-Python
    if (-not $Python) {
        Fail "Python 3.10 or newer is needed. Install it from https://www.python.org/downloads/ (tick `"Add python.exe to PATH`"), then run this installer again." `
             "Python 3.10 以上が必要です。https://www.python.org/downloads/ からインストールし(「Add python.exe to PATH」にチェック)、もう一度このインストーラーを実行してください。"
    }
    if ($DryRun) {
        Say "Dry run: would create the environment $Venv with $Python, install omamori from $Repo into it, then register omamori with your browsers." `
            "ドライラン: $Python で環境 $Venv を作り、$Repo から omamori をインストールして、ブラウザーに登録します。"
        exit 0
    }
    Say "Creating omamori's environment in $Venv ..." "omamori の環境を $Venv に作成しています..."
    & $Python -m venv $Venv
    if ($LASTEXITCODE -ne 0) { Fail "Could not create the environment (see the messages above)." "環境を作れませんでした(上のメッセージを参照)。" }
    New-Item -ItemType File -Force -Path $Marker | Out-Null
}

if (-not $DryRun) {
    Say "Installing omamori into $Venv (this can take a minute) ..." "omamori を $Venv にインストールしています(少し時間がかかります)..."
    & $VenvPython -m pip install --quiet --disable-pip-version-check $Repo
    if ($LASTEXITCODE -ne 0) {
        Fail "Installing omamori failed (see the messages above). Check your internet connection and run this installer again." `
             "omamori のインストールに失敗しました(上のメッセージを参照)。インターネット接続を確かめて、もう一度実行してください。"
    }
}

& $Omamori install --extension (Join-Path $Repo "extension") @RestArgs
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
if (-not $DryRun) {
    Write-Host ""
    Say "Protecting the bundled sample picture, to show that everything works ..." "動作確認として、付属のサンプル画像を保護しています..."
    & $Omamori sample
}
exit $LASTEXITCODE
