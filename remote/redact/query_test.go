package redact_test

import (
	"testing"

	"gitlab.com/wend/wend/remote/redact"
)

func TestQueryMasksSecretLookingKeys(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"per_page=20&private_token=glpat-x":  "per_page=20&private_token=REDACTED",
		"Access_Token=a&access_token=b&q=go": "Access_Token=REDACTED&access_token=REDACTED&q=go",
		"code=123&state=s":                   "code=REDACTED&state=s",
		"X-Amz-Signature=abc&page=2":         "X-Amz-Signature=REDACTED&page=2",
		"password=p1&password=p2":            "password=REDACTED&password=REDACTED",
		"search=token":                       "search=token", // a value is never a key
		"a=%zz&private_token=glpat-x":        "",             // unparseable: dropped whole
	} {
		if got := redact.Query(in); got != want {
			t.Errorf("Query(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLiteral(t *testing.T) {
	if got := redact.Literal("bad key abcdefgh1234 for abcdefgh1234", "abcdefgh1234", "[redacted]"); got != "bad key [redacted] for [redacted]" {
		t.Errorf("got %q", got)
	}
	// A value too short to be a credential would mask ordinary words.
	if got := redact.Literal("the key is short", "short", "[redacted]"); got != "the key is short" {
		t.Errorf("a short secret masked text: %q", got)
	}
	if got := redact.Literal("nothing", "", "[redacted]"); got != "nothing" {
		t.Errorf("an empty secret changed text: %q", got)
	}
}

func TestUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"https://oauth2:glpat-secret@gitlab.example.com/g/p.git": "https://REDACTED@gitlab.example.com/g/p.git",
		"https://user@gitlab.example.com/g/p.git":                "https://REDACTED@gitlab.example.com/g/p.git",
		"https://gitlab.example.com/g/p.git":                     "https://gitlab.example.com/g/p.git",
		"https://gitlab.example.com/g/p@v1.git":                  "https://gitlab.example.com/g/p@v1.git", // an @ in the path is no userinfo
		"git@gitlab.example.com:g/p.git":                         "git@gitlab.example.com:g/p.git",
	} {
		if got := redact.Userinfo(in); got != want {
			t.Errorf("Userinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
