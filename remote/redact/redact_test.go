package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	cases := []struct {
		name, in, secret, keep string
	}{
		{"gitlab pat", "use glpat-abcdefghij0123456789 please", "glpat-abcdefghij0123456789", "use "},
		{"runner token", "token glrt-AbCdEfGhIjKlMnOpQr_1", "glrt-AbCdEfGhIjKlMnOpQr_1", ""},
		{"aws key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"},
		{"aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", "aws_secret_access_key="},
		{"password", "db password=hunter22 next", "hunter22", "db password="},
		{"json", `{"api_key": "s3cr3tvalue"}`, "s3cr3tvalue", `"api_key"`},
		{"bearer", "Authorization: Bearer abc.def.ghi123", "abc.def.ghi123", "Authorization"},
		{"private-token header", "PRIVATE-TOKEN: zzzzzzzzzz", "zzzzzzzzzz", "PRIVATE-TOKEN"},
		{"url creds", "git clone https://oauth2:supersecret@gitlab.example.com/g/p.git", "supersecret", "gitlab.example.com"},
		{"anthropic", "ANTHROPIC=sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz", ""},
		{"pem", "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\ny", "MIIEow", "y"},
		{"cut pem", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", "b3BlbnNzaC1rZXktdjEAAAA", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := String(c.in)
			if strings.Contains(got, c.secret) {
				t.Errorf("secret survived: %q", got)
			}
			if !strings.Contains(got, Mask) {
				t.Errorf("no mask in %q", got)
			}
			if !strings.Contains(got, c.keep) {
				t.Errorf("lost context %q in %q", c.keep, got)
			}
		})
	}
}

func TestStringLeavesOrdinaryTextAlone(t *testing.T) {
	for _, s := range []string{
		"func main() { fmt.Println(\"hello\") }",
		"token: $CI_JOB_TOKEN",
		"token = getToken(ctx)",
		"password: null",
		"api_key: <your key here>",
		"see https://gitlab.com/group/proj/-/issues/12",
		"the key insight is that nothing changed",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q", s, got)
		}
	}
}

func TestRegister(t *testing.T) {
	Register("plain-looking-secret-value", "abc")
	got := String("value is plain-looking-secret-value and abc")
	if strings.Contains(got, "plain-looking-secret-value") {
		t.Errorf("registered literal survived: %q", got)
	}
	if !strings.Contains(got, "abc") {
		t.Errorf("short literal should be ignored: %q", got)
	}
}

func BenchmarkStringClean(b *testing.B) {
	s := strings.Repeat("ordinary build output line without anything special\n", 2000)
	b.ReportAllocs()
	for b.Loop() {
		String(s)
	}
}
