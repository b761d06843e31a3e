#!/bin/sh
# omamori installer for Linux and macOS.
#
# Only bootstraps: finds Python 3.10 or newer, makes a private environment (a
# venv) in your data folder, installs omamori from this checkout into it, then
# runs `omamori install` (which registers omamori with your browsers and puts
# the `omamori` command in ~/.local/bin, as pipx does) with the options you
# gave, and protects the bundled sample picture (`omamori sample`) to show it
# all works. With no browser on the machine it warns and still does the rest.
# On a terminal it asks once for your name or handle for the signature.
# No administrator rights are needed.
#
#   sh installer/install.sh                      # register with every browser found
#   sh installer/install.sh --browser firefox    # only Firefox (repeatable)
#   sh installer/install.sh --dry-run            # show what would happen
#   sh installer/install.sh --uninstall          # remove everything it made
#   sh installer/install.sh --venv DIR ...       # put the environment in DIR
#
# Every other option goes to `omamori install` (see `omamori install --help`).
set -eu

REPO=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

case "${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}" in
    ja*) JA=1 ;;
    *) JA=0 ;;
esac

say() {  # say ENGLISH JAPANESE
    if [ "$JA" = 1 ]; then printf '%s\n' "$2"; else printf '%s\n' "$1"; fi
}

fail() {
    say "$1" "$2" >&2
    exit 1
}

# The data folder omamori itself uses (platformdirs' user_data_dir).
if [ -n "${OMAMORI_HOME:-}" ]; then
    DATA="$OMAMORI_HOME/data"
elif [ "$(uname -s)" = Darwin ]; then
    DATA="$HOME/Library/Application Support/omamori"
else
    DATA="${XDG_DATA_HOME:-$HOME/.local/share}/omamori"
fi
VENV="$DATA/venv"

# Take out the options that belong to this script; keep the rest, in order.
UNINSTALL=0
DRY_RUN=0
PARTIAL=0
count=$#
i=0
while [ "$i" -lt "$count" ]; do
    arg=$1
    shift
    i=$((i + 1))
    case "$arg" in
        --venv)
            [ "$i" -lt "$count" ] || fail "--venv needs a folder." "--venv にはフォルダーを指定してください。"
            VENV=$1
            shift
            i=$((i + 1))
            continue ;;
        --venv=*) VENV=${arg#--venv=}; continue ;;
        --uninstall) UNINSTALL=1 ;;
        --dry-run) DRY_RUN=1 ;;
        --browser|--browser=*|--user-data-dir|--user-data-dir=*) PARTIAL=1 ;;
    esac
    set -- "$@" "$arg"
done

MARKER="$VENV/.omamori-installer"    # this script made the venv, so it may remove it
OMAMORI="$VENV/bin/omamori"

if [ "$UNINSTALL" = 1 ]; then
    if [ -x "$OMAMORI" ]; then
        "$OMAMORI" install "$@"
    else
        say "omamori is not installed in $VENV; nothing to unregister." \
            "$VENV に omamori はインストールされていません。登録解除するものはありません。"
    fi
    if [ "$DRY_RUN" = 0 ] && [ "$PARTIAL" = 0 ] && [ -f "$MARKER" ]; then
        rm -rf -- "$VENV"
        rmdir -- "$(dirname -- "$VENV")" 2>/dev/null || true
        say "Removed the environment $VENV." "環境 $VENV を削除しました。"
    fi
    exit 0
fi

find_python() {
    for candidate in python3.14 python3.13 python3.12 python3.11 python3.10 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if [ -x "$VENV/bin/python" ]; then
    PYTHON="$VENV/bin/python"
else
    PYTHON=$(find_python) || fail \
        "Python 3.10 or newer is needed. Install it (Debian/Ubuntu: sudo apt install python3 python3-venv; macOS: https://www.python.org/downloads/), then run this installer again." \
        "Python 3.10 以上が必要です。インストールしてから(Debian/Ubuntu: sudo apt install python3 python3-venv、macOS: https://www.python.org/downloads/)、もう一度このインストーラーを実行してください。"
    if [ "$DRY_RUN" = 1 ]; then
        say "Dry run: would create the environment $VENV with $PYTHON, install omamori from $REPO into it, then register omamori with your browsers." \
            "ドライラン: $PYTHON で環境 $VENV を作り、$REPO から omamori をインストールして、ブラウザーに登録します。"
        exit 0
    fi
    say "Creating omamori's environment in $VENV ..." "omamori の環境を $VENV に作成しています..."
    "$PYTHON" -m venv "$VENV" || fail \
        "Could not create the environment. On Debian/Ubuntu run: sudo apt install python3-venv, then this installer again." \
        "環境を作れませんでした。Debian/Ubuntu では sudo apt install python3-venv を実行してから、もう一度このインストーラーを実行してください。"
    : > "$MARKER"
fi

if [ "$DRY_RUN" = 0 ]; then
    say "Installing omamori into $VENV (this can take a minute) ..." \
        "omamori を $VENV にインストールしています(少し時間がかかります)..."
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$REPO" || fail \
        "Installing omamori failed (see the messages above). Check your internet connection and run this installer again." \
        "omamori のインストールに失敗しました(上のメッセージを参照)。インターネット接続を確かめて、もう一度実行してください。"
fi

ASK_NAME=
if [ -t 0 ] && [ -t 1 ]; then
    ASK_NAME=--ask-name
fi
"$OMAMORI" install --extension "$REPO/extension" --link-command $ASK_NAME "$@" || exit $?
if [ "$DRY_RUN" = 0 ]; then
    echo
    say "Protecting the bundled sample picture, to show that everything works ..." \
        "動作確認として、付属のサンプル画像を保護しています..."
    "$OMAMORI" sample
fi
