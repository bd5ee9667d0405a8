package site

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var s3Env = envMap(map[string]string{EnvS3AccessKey: "AKIAEXAMPLE", EnvS3SecretKey: "wJalrXUtnFEMI/K7MDENG"})

func TestParseSpecValid(t *testing.T) {
	tests := []struct {
		spec  string
		check func(t *testing.T, s Spec)
	}{
		{"local@paris-1=file:///var/lib/instanterp/backups", func(t *testing.T, s Spec) {
			if s.Kind != KindFile || s.File.Dir != "/var/lib/instanterp/backups" || s.Name != "local" || s.DataCentre != "paris-1" {
				t.Fatalf("%+v", s)
			}
		}},
		{"offsite@frankfurt-2=sftp://backup@203.0.113.7:22/instanterp?key=/etc/instanterp/id_ed25519&known_hosts=/etc/instanterp/known_hosts", func(t *testing.T, s Spec) {
			c := s.SFTP
			if s.Kind != KindSFTP || c.User != "backup" || c.Host != "203.0.113.7" || c.Port != 22 || c.Dir != "/instanterp" ||
				c.KeyFile != "/etc/instanterp/id_ed25519" || c.KnownHostsFile != "/etc/instanterp/known_hosts" || c.Address() != "203.0.113.7:22" {
				t.Fatalf("%+v", c)
			}
		}},
		{"offsite@fra-2=sftp://backup@backup.example.net/srv/b?known_hosts=/k/h&key=/k/id", func(t *testing.T, s Spec) {
			if s.SFTP.Port != 22 || s.SFTP.Host != "backup.example.net" {
				t.Fatalf("%+v", s.SFTP)
			}
		}},
		{"v6@dc=sftp://backup@[2001:db8::7]:2222/b?key=/k&known_hosts=/h", func(t *testing.T, s Spec) {
			if s.SFTP.Address() != "[2001:db8::7]:2222" {
				t.Fatalf("%+v", s.SFTP)
			}
		}},
		{"s3eu@dublin-1=s3://bucket/prefix?endpoint=https://s3.example.com&path_style=true&region=eu-west-1", func(t *testing.T, s Spec) {
			c := s.S3
			if s.Kind != KindS3 || c.Bucket != "bucket" || c.Prefix != "prefix/" || c.Endpoint != "s3.example.com" || !c.Secure ||
				!c.PathStyle || c.Region != "eu-west-1" || c.AccessKey.Reveal() != "AKIAEXAMPLE" || c.SecretKey.Reveal() != "wJalrXUtnFEMI/K7MDENG" {
				t.Fatalf("%+v", c)
			}
		}},
		{"aws@us-1=s3://my.bucket", func(t *testing.T, s Spec) {
			if s.S3.Endpoint != "s3.amazonaws.com" || !s.S3.Secure || s.S3.Prefix != "" || s.S3.PathStyle {
				t.Fatalf("%+v", s.S3)
			}
		}},
		{"dev@local=s3://bkt/a/b/?endpoint=http://127.0.0.1:7070", func(t *testing.T, s Spec) {
			if s.S3.Secure || s.S3.Endpoint != "127.0.0.1:7070" || s.S3.Prefix != "a/b/" {
				t.Fatalf("%+v", s.S3)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSpec(tt.spec, s3Env)
			if err != nil {
				t.Fatalf("ParseSpec: %v", err)
			}
			tt.check(t, s)
			if s.String() != tt.spec {
				t.Fatalf("String() = %q", s.String())
			}
		})
	}
}

func TestParseSpecInvalid(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string
	}{
		{"", "no '='"},
		{"local=file:///x", "no '@'"},
		{"Local@dc=file:///x", "site name"},
		{"-x@dc=file:///x", "site name"},
		{strings.Repeat("a", 33) + "@dc=file:///x", "site name"},
		{"local@DC=file:///x", "data-centre"},
		{"local@=file:///x", "data-centre"},
		{"local@dc=file:///x dir", "whitespace"},
		{"local@dc=file:///x\n", "whitespace"},
		{"local@dc=ftp://host/x", "unknown scheme"},
		{"local@dc=file:relative", "opaque"},
		{"local@dc=file://x#frag", "fragment"},
		{"local@dc=file://", "absolute"},
		{"local@dc=file:///", "root"},
		{"local@dc=file:///a/../b", "clean"},
		{"local@dc=file:///a/", "clean"},
		{"local@dc=file://otherhost/a", "not host"},
		{"local@dc=file://user@/a", "no user"},
		{"local@dc=file:///a?x=1", "no query"},
		{"o@dc=sftp://host/x?key=/k&known_hosts=/h", "needs a user"},
		{"o@dc=sftp://backup:hunter2@host/x?key=/k&known_hosts=/h", "password"},
		{"o@dc=sftp://backup@host/x?known_hosts=/h", `"key" is required`},
		{"o@dc=sftp://backup@host/x?key=/k", `"known_hosts" is required`},
		{"o@dc=sftp://backup@host/x?key=k&known_hosts=/h", "absolute"},
		{"o@dc=sftp://backup@host/x?key=/k&known_hosts=/h&key=/j", "2 times"},
		{"o@dc=sftp://backup@host/x?key=/k&known_hosts=/h&insecure=1", "unknown query parameter"},
		{"o@dc=sftp://backup@host:0/x?key=/k&known_hosts=/h", "port"},
		{"o@dc=sftp://backup@host:65536/x?key=/k&known_hosts=/h", "port"},
		{"o@dc=sftp://backup@host:022/x?key=/k&known_hosts=/h", "port"},
		{"o@dc=sftp://backup@/x?key=/k&known_hosts=/h", "needs a host"},
		{"o@dc=sftp://backup@ho_st/x?key=/k&known_hosts=/h", "neither an IP"},
		{"o@dc=sftp://backup@host?key=/k&known_hosts=/h", "absolute"},
		{"o@dc=sftp://backup@host/x?key=%zz", "query"},
		{"s@dc=s3://key:secret@bucket", "password"},
		{"s@dc=s3://key@bucket", "no user"},
		{"s@dc=s3://Bucket", "bucket"},
		{"s@dc=s3://b", "bucket"},
		{"s@dc=s3://bucket:9000", "bucket"},
		{"s@dc=s3://bucket/../x", "bucket prefix"},
		{"s@dc=s3://bucket/Upper", "bucket prefix"},
		{"s@dc=s3://bucket?endpoint=http://s3.example.com", "plain http"},
		{"s@dc=s3://bucket?endpoint=ftp://s3.example.com", "https"},
		{"s@dc=s3://bucket?endpoint=https://u:p@s3.example.com", "scheme://host"},
		{"s@dc=s3://bucket?endpoint=https://s3.example.com/path", "scheme://host"},
		{"s@dc=s3://bucket?path_style=yes", "path_style"},
		{"s@dc=s3://bucket?region=EU", "region"},
		{"s@dc=s3://bucket?access_key=x", "unknown query parameter"},
		{"s@dc=" + strings.Repeat("x", maxSpecLength), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseSpec(tt.spec, s3Env)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "wJalrXUtnFEMI") {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestS3CredentialsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bigFile := filepath.Join(dir, "big")
	if err := os.WriteFile(bigFile, []byte(strings.Repeat("x", maxSecretFileSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        map[string]string
		wantSecret string
		wantErr    string
	}{
		{"plain", map[string]string{EnvS3AccessKey: "ak", EnvS3SecretKey: "sk"}, "sk", ""},
		{"file", map[string]string{EnvS3AccessKey: "ak", EnvS3SecretKey + "_FILE": secretFile}, "from-file", ""},
		{"missing access", map[string]string{EnvS3SecretKey: "sk"}, "", EnvS3AccessKey},
		{"missing secret", map[string]string{EnvS3AccessKey: "ak"}, "", EnvS3SecretKey},
		{"both set", map[string]string{EnvS3AccessKey: "ak", EnvS3SecretKey: "sk", EnvS3SecretKey + "_FILE": secretFile}, "", "set only one"},
		{"file missing", map[string]string{EnvS3AccessKey: "ak", EnvS3SecretKey + "_FILE": filepath.Join(dir, "nope")}, "", "no such file"},
		{"file empty", map[string]string{EnvS3AccessKey: "ak", EnvS3SecretKey + "_FILE": emptyFile}, "", "empty"},
		{"file too big", map[string]string{EnvS3AccessKey: "ak", EnvS3SecretKey + "_FILE": bigFile}, "", "larger than"},
		{"whitespace", map[string]string{EnvS3AccessKey: "a k", EnvS3SecretKey: "sk"}, "", "whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec("s3@dc=s3://bucket", envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || s.S3.SecretKey.Reveal() != tt.wantSecret {
				t.Fatalf("secret %q, err %v", s.S3.SecretKey.Reveal(), err)
			}
		})
	}
	if _, err := ParseSpec("s3@dc=s3://bucket", nil); err == nil {
		t.Fatal("an s3 spec without credentials was accepted")
	}
}

func TestSecretsNeverFormat(t *testing.T) {
	s, err := ParseSpec("s3eu@dublin-1=s3://bucket", s3Env)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, s); strings.Contains(out, "wJalrXUtnFEMI") || strings.Contains(out, "AKIAEXAMPLE") {
			t.Fatalf("%s prints a credential: %s", format, out)
		}
	}
}

// FuzzParseSpec: ParseSpec never panics, and whatever it accepts is
// internally consistent and free of credentials in the URL.
func FuzzParseSpec(f *testing.F) {
	for _, seed := range []string{
		"local@paris-1=file:///var/lib/instanterp/backups",
		"offsite@frankfurt-2=sftp://backup@203.0.113.7:22/instanterp?key=/etc/instanterp/id_ed25519&known_hosts=/etc/instanterp/known_hosts",
		"s3eu@dublin-1=s3://bucket/prefix?endpoint=https://s3.example.com&path_style=true&region=eu-west-1",
		"o@dc=sftp://backup:pw@host/x?key=/k&known_hosts=/h",
		"v6@dc=sftp://backup@[2001:db8::7]:2222/b?key=/k&known_hosts=/h",
		"dev@local=s3://bkt/a/b/?endpoint=http://127.0.0.1:7070",
		"x@y=file://%2e%2e/",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSpec(spec, s3Env)
		if err != nil {
			return
		}
		if !labelPattern.MatchString(s.Name) || !labelPattern.MatchString(s.DataCentre) || s.String() != spec {
			t.Fatalf("accepted inconsistent spec %q: %+v", spec, s)
		}
		switch s.Kind {
		case KindFile:
			if absoluteDir("dir", s.File.Dir) != nil {
				t.Fatalf("accepted bad dir %q", s.File.Dir)
			}
		case KindSFTP:
			if absoluteDir("dir", s.SFTP.Dir) != nil || s.SFTP.Port < 1 || s.SFTP.Port > 65535 || s.SFTP.User == "" {
				t.Fatalf("accepted bad sftp config %+v", s.SFTP)
			}
		case KindS3:
			if s.S3.Prefix != "" && ValidateKey(strings.TrimSuffix(s.S3.Prefix, "/")) != nil {
				t.Fatalf("accepted bad prefix %q", s.S3.Prefix)
			}
		default:
			t.Fatalf("accepted kind %q", s.Kind)
		}
		if strings.Contains(spec, ":"+"pw@") {
			t.Fatalf("accepted a password in %q", spec)
		}
	})
}
