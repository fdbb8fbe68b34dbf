package redact

import (
	"net/url"
	"strings"
)

// QueryMask replaces a secret query value. It differs from Mask because it
// must survive URL encoding unchanged: "[REDACTED]" would read %5BREDACTED%5D.
const QueryMask = "REDACTED"

// secretKeys are query keys whose values are masked; matching is on the
// lower-cased key containing one of these words.
var secretKeys = []string{"token", "key", "secret", "password", "passwd", "auth", "signature", "sig", "code", "session", "credential"}

// Query returns a URL query with the values of secret-looking keys replaced
// by QueryMask (private_token=glpat-… becomes private_token=REDACTED). Keys
// stay, so a reader can still see what kind of call it was. An unparseable
// query is dropped entirely: what it holds cannot be judged.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return ""
	}
	for k := range v {
		lk := strings.ToLower(k)
		for _, s := range secretKeys {
			if strings.Contains(lk, s) {
				for i := range v[k] {
					v[k][i] = QueryMask
				}
				break
			}
		}
	}
	return v.Encode()
}

// Literal returns s with every occurrence of secret replaced by mask, when
// secret is at least MinLiteral long (a shorter value would mask ordinary
// words). It is for text bound to one credential, such as a provider's error
// message that echoes the key it was sent; String masks every registered
// secret and every known shape.
func Literal(s, secret, mask string) string {
	if len(secret) >= MinLiteral {
		s = strings.ReplaceAll(s, secret, mask)
	}
	return s
}

// Userinfo hides the credentials a URL carries before its host
// (https://oauth2:TOKEN@host/... becomes https://REDACTED@host/...), user name
// included, so a remote URL can be quoted in an error. Text that is not such
// a URL is returned unchanged.
func Userinfo(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 && !strings.Contains(rest[:at], "/") {
			return s[:i+3] + QueryMask + "@" + rest[at+1:]
		}
	}
	return s
}
