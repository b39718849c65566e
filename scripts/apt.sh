# Shared by the install scripts: apt_install PACKAGE... installs Debian packages where this
# machine allows it (apt-get, and root or password-less sudo), quietly, refreshing the
# package lists once if the first try fails. Returns 0 when installed, 1 otherwise (never exits).
apt_install() {
    local sudo=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else return 1; fi
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
        { $sudo apt-get update -qq >/dev/null 2>&1 &&
          $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; }
}
