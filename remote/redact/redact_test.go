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

// .env files, `env` output and /proc/<pid>/environ (NUL-separated) name secrets
// in upper-case variable names where the secret word is any segment, not only
// the last: SECRET_KEY_BASE, STRIPE_KEY, DJANGO_SECRET_KEY.
func TestStringEnvStyleLines(t *testing.T) {
	cases := []struct{ name, in, secret, keep string }{
		{"secret key base", "SECRET_KEY_BASE=9f86d081884c7d659a2feaa0c55ad015\n", "9f86d081884c", "SECRET_KEY_BASE="},
		{"stripe key", "export STRIPE_KEY=rk_live_abcdefghijkl\n", "rk_live_abcdefghijkl", "export STRIPE_KEY="},
		{"quoted", `DJANGO_SECRET_KEY="q8w7e6r5t4y3"` + "\n", "q8w7e6r5t4y3", "DJANGO_SECRET_KEY="},
		{"environ NUL", "PATH=/usr/bin\x00DB_PASS=longpassvalue\x00HOME=/root\x00", "longpassvalue", "HOME=/root"},
		{"read_file numbering", "     3\tMY_APP_TOKEN_V2=zzzzyyyyxxxx\n", "zzzzyyyyxxxx", "MY_APP_TOKEN_V2="},
		{"grep prefix", ".env:2:AUTH_SECRET=abcdefgh1234\n", "abcdefgh1234", ".env:2:AUTH_SECRET="},
		{"bare bearer", `curl -H "X: Bearer abcdefghijklmnopqrstuvwx0123"`, "abcdefghijklmnopqrstuvwx0123", "Bearer "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := String(c.in)
			if strings.Contains(got, c.secret) {
				t.Errorf("secret survived: %q", got)
			}
			if !strings.Contains(got, c.keep) {
				t.Errorf("lost context %q in %q", c.keep, got)
			}
		})
	}
}

// Code the model has to edit must stay readable: a masked line cannot be the
// old_string of an edit. These are ordinary Go, JS, Python and YAML lines that
// mention secrets without holding one.
func TestStringLeavesCodeAboutSecretsAlone(t *testing.T) {
	for _, s := range []string{
		"\tGitLabToken: cfg.Token,",
		"\tAPIKey: s.APIKey,",
		"token = nextToken",
		"password: opts.password",
		"const apiKey = config.apiKey;",
		"self.secret = secret_value",
		`req.Header.Set("Authorization", "Bearer " + token)`,
		`headers = {"Authorization": "Bearer " + token}`,
		"token := tok.Value",
		"if token == \"\" {",
		"KEYMAP=us",
		"MONKEY_BUSINESS=nothing-secret-here",
		"PRIMARY_KEY_COLUMN=id",
		"MAX_TOKENS=4096",
		"const DEFAULT_TOKEN_TTL = 3600",
		"API_KEY=$API_KEY",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q", s, got)
		}
	}
}

func TestRegisterIgnoresShortValues(t *testing.T) {
	Register("1234567", "k9v8b7n6m5")
	got := String("ids 1234567 and k9v8b7n6m5")
	if !strings.Contains(got, "1234567") {
		t.Errorf("a 7-character value was masked; short values would shred ordinary text: %q", got)
	}
	if strings.Contains(got, "k9v8b7n6m5") {
		t.Errorf("registered literal survived: %q", got)
	}
}

// Tool output is redacted on every call; code that talks about tokens and keys
// (the common case in this repository) must stay cheap, not only clean text.
func BenchmarkStringCode(b *testing.B) {
	code := "func (c *Client) do(ctx context.Context, token string) error {\n" +
		"\treq.Header.Set(\"PRIVATE-TOKEN\", token)\n\tkey := cache.Key(ctx, path)\n" +
		"\tglobal := strings.TrimSpace(line) // a comment about the api key\n\treturn nil\n}\n"
	s := strings.Repeat(code, 30000/len(code))
	b.ReportAllocs()
	for b.Loop() {
		String(s)
	}
}
