#!/bin/sh
# The nightly window: N small tenants (default 1000, each a fresh ERP
# database of about 1 MiB) backed up, test-restored and replicated to two
# sites in distinct data centres, in one `instanterp backup run`. Prints the
# total time, the time per tenant and the peak memory (RSS) of the run.
#
#   sh bench/backup/nightly.sh            # from the repository root
#   N=100 sh bench/backup/nightly.sh      # a quicker run
#   BIN=/path/to/instanterp sh bench/backup/nightly.sh
#
# The serve command runs the same backups from River jobs, two at a time,
# spread over the window; this sequential run is the upper bound.
set -eu
N=${N:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${BIN:-$work/instanterp}
[ -n "${BIN:-}" ] || go build -o "$bin" ./cmd/instanterp
data=$work/data
set -- --data "$data" --log-level error \
	--backup-site "local@paris-1=file://$work/site-paris" \
	--backup-site "offsite@frankfurt-2=file://$work/site-frankfurt"

echo "creating $N tenants..." >&2
# One at a time: concurrent first use of the control database races.
i=1
while [ "$i" -le "$N" ]; do
	"$bin" tenant create "t$i" --admin-email "admin@t$i.example" --data "$data" --log-level error >/dev/null
	i=$((i + 1))
done

/usr/bin/time -f '%e %M' -o "$work/time" "$bin" backup run "$@" >"$work/out"
read -r elapsed rss <"$work/time"
done_count=$(grep -c '^Backed up' "$work/out" || true)
two_dc=$(grep -c 'verified=yes sites=local@paris-1,offsite@frankfurt-2$' "$work/out" || true)
if "$bin" backup status "$@" >/dev/null; then status=ok; else status=FLAGGED; fi
awk -v n="$N" -v d="$done_count" -v v="$two_dc" -v e="$elapsed" -v r="$rss" -v s="$status" 'BEGIN {
	printf "tenants=%d backed_up=%d verified_on_two_data_centres=%d total=%.1fs per_tenant=%.0fms peak_rss=%.0fMiB status=%s\n", n, d, v, e, 1000*e/n, r/1024, s
}'
