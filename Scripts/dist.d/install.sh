#!/bin/sh
# Installs vmmap from this directory where Debian looks for each file.
#   ./install.sh                  into /usr/local (locally installed software, as the FHS says)
#   ./install.sh --prefix /usr    where a Debian package would put it
#   ./install.sh --uninstall      removes what an install with the same prefix put there
# DESTDIR=/some/root ./install.sh stages the files under /some/root (for packaging).
#
#   PREFIX/bin/vmmap                                    the program (one file: it runs alone)
#   PREFIX/share/man/man1/vmmap.1                       man vmmap
#   PREFIX/share/bash-completion/completions/vmmap      bash-completion loads it on demand
#   PREFIX/share/zsh/site-functions/_vmmap              zsh's fpath (/usr: vendor-completions)
#   fish: /etc/fish/completions/vmmap.fish for /usr/local (Debian's fish does not look under
#         /usr/local), PREFIX/share/fish/vendor_completions.d/vmmap.fish otherwise
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/local
action=install
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 64 ;;
  esac
done
dest=${DESTDIR:-}

bin=$prefix/bin/vmmap
man=$prefix/share/man/man1/vmmap.1
bash_completion=$prefix/share/bash-completion/completions/vmmap
if [ "$prefix" = /usr ]; then
  zsh_completion=/usr/share/zsh/vendor-completions/_vmmap
else
  zsh_completion=$prefix/share/zsh/site-functions/_vmmap
fi
if [ "$prefix" = /usr/local ]; then
  fish_completion=/etc/fish/completions/vmmap.fish
else
  fish_completion=$prefix/share/fish/vendor_completions.d/vmmap.fish
fi

if [ "$action" = uninstall ]; then
  for f in "$bin" "$man" "$bash_completion" "$zsh_completion" "$fish_completion"; do
    if [ -e "$dest$f" ]; then rm -f "$dest$f" && echo "removed $dest$f"; fi
  done
  exit 0
fi

# The files are the ones the tarball was made with.
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$here" && sha256sum --quiet -c SHA256SUMS) ||
    { echo "install.sh: SHA256SUMS does not match: the tarball is damaged (download it again)" >&2; exit 65; }
fi

put() { # mode source target
  mkdir -p "$(dirname "$dest$3")"
  cp "$here/$2" "$dest$3.tmp.$$"
  chmod "$1" "$dest$3.tmp.$$"
  mv -f "$dest$3.tmp.$$" "$dest$3"
  echo "installed $dest$3"
}
put 0755 vmmap "$bin"
put 0644 vmmap.1 "$man"
put 0644 completions/vmmap.bash "$bash_completion"
put 0644 completions/_vmmap "$zsh_completion"
put 0644 completions/vmmap.fish "$fish_completion"
if [ -z "$dest" ] && command -v mandb >/dev/null 2>&1; then mandb -q 2>/dev/null || true; fi
