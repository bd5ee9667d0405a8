# Installs and starts the real services the tests use. Sourced by .ci/run; each
# function is idempotent, so a developer can source it too:  . .ci/services.sh; ensure_packages
apt_updated=""

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Debian packages: TLS scanner for the HTTPS tests, OpenSSH for the SFTP backup site.
# OpenLDAP's slapd and client tools for the LDAP sign-in tests (each test starts its
# own slapd on a free loopback port; the package's service is not used).
# pdftotext (poppler-utils) for the PDF report tests.
ensure_packages() {
  apt_install sslscan openssh-server slapd ldap-utils poppler-utils chromium
  mkdir -p /run/sshd
}

start_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432
}

# Servers installed from the Go module proxy: the S3-compatible store, and mailpit
# (SMTP server with an inspection API) for the mail tests.
ensure_go_tools() {
  command -v versitygw >/dev/null || go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
  command -v mailpit >/dev/null || go install github.com/axllent/mailpit@v1.33.1
}
