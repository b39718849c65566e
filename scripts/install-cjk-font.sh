#!/usr/bin/env bash
# Install a Chinese (CJK) font for fundsim's charts, where this machine allows it.
#
# fundsim finds any CJK font matplotlib can see (Noto Sans CJK SC, Source Han Sans SC,
# WenQuanYi, Microsoft YaHei, SimHei, PingFang SC, ...). Without one, Chinese charts fall back
# to English labels with one warning. This script never fails the command it is part of: it
# installs Debian's fonts-wqy-microhei (WenQuanYi Micro Hei, 4.5 MB, simplified Chinese first)
# when apt-get and root (or password-less sudo) are available, and otherwise says what to do.
set -u
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    echo "CJK font: $(fc-list :lang=zh family | head -n 1)"
    exit 0
fi
. "$(dirname "$0")/apt.sh"
if apt_install fonts-wqy-microhei; then
    echo "CJK font: installed fonts-wqy-microhei"
    exit 0
fi
echo "No CJK font installed: Chinese charts will use English labels. To get Chinese labels, install" \
     "one, e.g. 'apt-get install fonts-noto-cjk' (Debian/Ubuntu), 'dnf install google-noto-sans-cjk-fonts'" \
     "(Fedora), or any Noto Sans CJK SC / Source Han Sans SC font file into ~/.fonts." >&2
exit 0
