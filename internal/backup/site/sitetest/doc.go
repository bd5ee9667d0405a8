// Package sitetest starts real storage servers for tests of backup sites
// and of the code that uses them: OpenSSH's sshd for SFTP sites and
// versitygw for S3 sites, each on a free loopback port in a temporary
// directory, stopped when the test ends. A missing binary skips the test
// with the command that installs it:
//
//	apt-get install -y openssh-server
//	go install github.com/versity/versitygw/cmd/versitygw@latest
//
// It hands out site URLs and credentials rather than parsed specs, so that
// the site package's own tests can use it without an import cycle.
package sitetest
