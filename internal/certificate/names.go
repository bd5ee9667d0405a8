package certificate

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// subjectNames are the names a development leaf certificate must cover.
type subjectNames struct {
	dnsNames []string
	ips      []net.IP
}

// developmentNames returns the names for domain: the domain and its
// subdomains (tenants live at <tenant>.<domain>), plus the loopback names
// every developer reaches the server by. An IP address given as the domain
// is covered as an address, without a wildcard.
func developmentNames(domain string) (subjectNames, error) {
	var names subjectNames
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	if ip := net.ParseIP(domain); ip != nil {
		names.ips = append(names.ips, ip)
	} else {
		if err := validateDNSName(domain); err != nil {
			return subjectNames{}, fmt.Errorf("domain %q: %w", domain, err)
		}
		names.dnsNames = append(names.dnsNames, domain, "*."+domain)
	}
	for _, name := range []string{"localhost", "*.localhost"} {
		if !slices.Contains(names.dnsNames, name) {
			names.dnsNames = append(names.dnsNames, name)
		}
	}
	for _, ip := range []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback} {
		if !names.hasIP(ip) {
			names.ips = append(names.ips, ip)
		}
	}
	return names, nil
}

func (n subjectNames) hasIP(ip net.IP) bool {
	return slices.ContainsFunc(n.ips, ip.Equal)
}

// coveredBy reports whether a certificate's names include all of n.
func (n subjectNames) coveredBy(dnsNames []string, ips []net.IP) bool {
	for _, name := range n.dnsNames {
		if !slices.Contains(dnsNames, name) {
			return false
		}
	}
	have := subjectNames{ips: ips}
	for _, ip := range n.ips {
		if !have.hasIP(ip) {
			return false
		}
	}
	return true
}

// validateDNSName accepts an ASCII host name (IDNs in punycode form) of
// letters, digits and hyphens in dot-separated labels.
func validateDNSName(name string) error {
	if name == "" {
		return errors.New("empty")
	}
	if len(name) > 253 {
		return errors.New("longer than 253 characters")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("label %q contains %q; only letters, digits and hyphens are allowed", label, c)
			}
		}
	}
	return nil
}
