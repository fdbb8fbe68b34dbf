// Package redact removes secrets from text before it reaches a model, a screen or
// a log. It knows the shapes of common credentials (GitLab tokens, private keys,
// cloud keys, bearer tokens, key=value assignments) and any literal values the
// caller registers, such as the token wend itself authenticates with.
//
// Redaction is deliberately eager: a false positive costs a few characters of
// context, a false negative leaks a credential.
package redact

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask replaces every secret; it names no kind, so the output reveals nothing
// about what was there beyond its position.
const Mask = "[REDACTED]"

// The expressions below compile on first use (sync.OnceValue), not at package
// init: every wend verb imports this package, most never redact (`wend --help`),
// and compiling them allocated 145 KB at every start.
var patterns = sync.OnceValue(func() []*regexp.Regexp {
	ps := []*regexp.Regexp{
		// PEM private keys, whole block (any key type), or a dangling BEGIN when the
		// text was cut before the END line.
		regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?s:.*?)(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)`),
		// GitLab tokens: personal, OAuth, deploy, runner, CI build, trigger, feed,
		// incoming mail, agent, SCIM, feature flags client.
		regexp.MustCompile(`\b(glpat|gloas|gldt|glrt|glrtr|glcbt|glptt|glft|glimt|glagent|glsoat|glffct|gltst)-[0-9A-Za-z_.\-]{16,}`),
		// AWS access key ids, plus the secret when it is labelled.
		regexp.MustCompile(`\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b`),
		// Model provider keys, GitHub, Slack, Google.
		regexp.MustCompile(`\bsk-(ant-)?[0-9A-Za-z_\-]{20,}`),
		regexp.MustCompile(`\b(ghp|gho|ghu|ghs|ghr|github_pat)_[0-9A-Za-z_]{20,}`),
		regexp.MustCompile(`\bxox[abposr]-[0-9A-Za-z\-]{10,}`),
		regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}`),
		// JSON Web Tokens.
		regexp.MustCompile(`\beyJ[0-9A-Za-z_\-]{8,}\.eyJ[0-9A-Za-z_\-]{8,}\.[0-9A-Za-z_\-]{8,}`),
		// Credentials inside URLs: scheme://user:secret@host.
		regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://[^/\s:@]+:)[^/\s@]+(@)`),
	}
	if len(patternHints) != len(ps) {
		panic("redact: patternHints and patterns differ in length")
	}
	return ps
})

// patternHints[i] are literals of which patterns[i] needs one, so a pattern
// runs only over text that may match it (most tool output holds none).
var patternHints = [][]string{
	{"PRIVATE KEY"},
	{"glpat-", "gloas-", "gldt-", "glrt-", "glrtr-", "glcbt-", "glptt-", "glft-", "glimt-", "glagent-", "glsoat-", "glffct-", "gltst-"},
	{"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"},
	{"sk-"},
	{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
	{"xox"},
	{"AIza"},
	{"eyJ"},
	{"://"},
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// assignment matches `key=value`, `key: value`, `"key": "value"` and
// `Authorization: Bearer value` for keys that name a secret. Group 1 keeps the
// key and separator so the reader still sees what was set.
var assignment = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)((?:["']?)(?:[a-z0-9_\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?)|authorization|private-token|job-token)["']?\s*[:=]\s*(?:bearer\s+|basic\s+|token\s+)?["']?)([^\s"'&,;]{4,})`)
})

var (
	mu       sync.RWMutex
	literals []string
)

// MinLiteral is the shortest value Register accepts. A real key or token is far
// longer; a short value (a 4-digit PIN, "admin") would also match commit hashes,
// numbers and words, masking ordinary output until it is unreadable.
const MinLiteral = 8

// Register adds literal secrets (tokens read from configuration, for example)
// that are masked wherever they appear, whatever their shape. Values shorter
// than MinLiteral are ignored. Surrounding whitespace is trimmed, since a value
// read from a file or the environment is used trimmed. Safe for concurrent use.
func Register(secrets ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) >= MinLiteral && !contains(literals, s) {
			literals = append(literals, s)
		}
	}
	// Longest first, so a secret containing another is masked whole.
	sort.Slice(literals, func(i, j int) bool { return len(literals[i]) > len(literals[j]) })
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String returns s with every recognised secret replaced by Mask.
func String(s string) string {
	mu.RLock()
	for _, lit := range literals {
		if strings.Contains(s, lit) {
			s = strings.ReplaceAll(s, lit, Mask)
		}
	}
	mu.RUnlock()
	if !mayContainSecret(s) {
		return s
	}
	for i, re := range patterns() {
		if containsAny(s, patternHints[i]) {
			s = replaceKeepingPrefix(re, s)
		}
	}
	return maskAssignmentsByLine(s)
}

// maskAssignmentsByLine runs the key=value rules only on the lines that name a
// secret word: they have no literal prefix for the regexp engine to skip to,
// so over a whole 30 KB tool output they cost tens of milliseconds, while the
// few lines that mention a token or key take microseconds.
func maskAssignmentsByLine(s string) string {
	var b strings.Builder
	changed := false
	for rest := s; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		if m := maskAssignments(line); m != line {
			if !changed {
				b.Grow(len(s))
				b.WriteString(s[:len(s)-len(rest)-len(line)])
				changed = true
			}
			line = m
		}
		if changed {
			b.WriteString(line)
		}
	}
	if !changed {
		return s
	}
	return b.String()
}

func maskAssignments(line string) string {
	lower := strings.ToLower(line)
	hinted := false
	for _, h := range lowerHints {
		if strings.Contains(lower, h) {
			hinted = true
			break
		}
	}
	if !hinted {
		return line
	}
	if !strings.ContainsAny(line, ":=") && !strings.Contains(lower, "bearer") {
		return line
	}
	if strings.Contains(lower, "bearer") {
		line = bearer().ReplaceAllString(line, "${1}"+Mask)
	}
	if strings.IndexByte(line, '=') >= 0 && containsAny(line, upperWords) {
		line = envAssignment().ReplaceAllStringFunc(line, func(m string) string {
			sub := envAssignment().FindStringSubmatch(m)
			if !secretEnvName(sub[2]) || notASecret(sub[4]) || allDigits(sub[4]) {
				return m
			}
			return sub[1] + sub[2] + sub[3] + Mask
		})
	}
	return assignment().ReplaceAllStringFunc(line, func(m string) string {
		sub := assignment().FindStringSubmatch(m)
		if notASecret(sub[2]) || codeReference(sub[1], sub[2]) {
			return m
		}
		return sub[1] + Mask
	})
}

// bearer is a bearer credential outside an Authorization header (curl -H,
// logs); group 1 keeps the word.
var bearer = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\b(bearer\s+)([0-9a-z._~+/\-]{20,}=*)`) })

// envAssignment is `NAME=value` with an upper-case variable name, as in .env
// files, shell exports, `env` output and /proc/<pid>/environ (NUL-separated).
// The name decides (secretEnvName), so the secret word may be any segment:
// SECRET_KEY_BASE, STRIPE_KEY, DB_PASS. Upper case only: code rarely assigns
// to SCREAMING_CASE names, so this catches configuration, not source lines.
// Group 1 is what precedes the name (a line start, a NUL, read_file's line
// number, grep's "path:line:"), 2 the name, 3 the `=` and an opening quote.
var envAssignment = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(^|[\s\x00:;'"(` + "`" + `](?:export[ \t]+)?)([A-Z][A-Z0-9_]*)([ \t]*=[ \t]*["']?)([^\s"'\x00#]{4,})`)
})

// secretWords are the name segments that mark an environment variable as a
// secret.
var secretWords = map[string]bool{
	"SECRET": true, "SECRETS": true, "TOKEN": true, "TOKENS": true, "PASSWORD": true, "PASSWD": true,
	"PASS": true, "PWD": true, "KEY": true, "APIKEY": true, "CREDENTIAL": true, "CREDENTIALS": true, "AUTH": true,
}

// upperWords gate envAssignment: a line without one cannot match it.
var upperWords = []string{"SECRET", "TOKEN", "PASS", "PWD", "KEY", "CREDENTIAL", "AUTH"}

func secretEnvName(name string) bool {
	for _, seg := range strings.Split(name, "_") {
		if secretWords[seg] {
			return true
		}
	}
	return false
}

// allDigits recognises numeric settings such as MAX_TOKENS=4096: credentials
// have letters in them.
func allDigits(v string) bool {
	return strings.Trim(v, "0123456789") == ""
}

// identPath is a variable or a field selection: token, cfg.Token, self.api_key.
var identPath = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
})

// codeReference recognises an assignment in source code whose value is another
// variable rather than a literal: `GitLabToken: cfg.Token,`, `token = nextToken`.
// Masking those would hide code the model has to edit. A value counts as a
// reference when it is an identifier path without digits that either selects a
// field (has a dot) or itself names a secret word; a key in SCREAMING_CASE
// (configuration, not code) and a bearer/basic/token prefix never count.
func codeReference(key, value string) bool {
	value = strings.TrimRight(value, ",;")
	if !identPath().MatchString(value) || strings.ContainsAny(value, "0123456789") {
		return false
	}
	name := strings.TrimRight(strings.TrimSpace(key), "\"' \t:=")
	if strings.ToUpper(name) == name {
		return false
	}
	lowerKey := strings.ToLower(key)
	for _, p := range []string{"bearer", "basic", "token "} {
		if strings.Contains(lowerKey[strings.IndexAny(lowerKey, ":=")+1:], p) {
			return false
		}
	}
	if strings.Contains(value, ".") {
		return true
	}
	lower := strings.ToLower(value)
	for _, w := range []string{"token", "key", "secret", "pass", "pwd", "credential", "auth"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// notASecret recognises assignment values that only look like secrets: already
// masked text, variable references ($CI_JOB_TOKEN, ${TOKEN}, %TOKEN%), code
// (getToken(), os.Getenv) and placeholder words. Showing them keeps diffs and
// CI configuration readable.
func notASecret(v string) bool {
	switch {
	case v == Mask, strings.HasPrefix(v, "[MASKED]"), strings.HasPrefix(v, "$"), strings.HasPrefix(v, "%"),
		strings.HasPrefix(v, "<"), strings.ContainsAny(v, "()"):
		return true
	}
	switch strings.ToLower(strings.TrimRight(v, ",;")) {
	case "null", "nil", "none", "true", "false", "undefined", "empty", "required", "optional", "string", "xxxx", "xxxxxxxx", "changeme", "redacted",
		"bearer", "basic", "token":
		return true
	}
	return false
}

// replaceKeepingPrefix masks a match but keeps a URL credential's scheme,
// user and the '@', so the reader still sees which host was addressed.
func replaceKeepingPrefix(re *regexp.Regexp, s string) string {
	if re.NumSubexp() == 2 && strings.Contains(re.String(), "://") {
		return re.ReplaceAllString(s, "${1}"+Mask+"${2}")
	}
	return re.ReplaceAllString(s, Mask)
}

// mayContainSecret is a cheap pre-filter so that large clean texts (diffs, job
// logs) skip the regular expressions entirely.
func mayContainSecret(s string) bool {
	for _, hint := range hints {
		if strings.Contains(s, hint) {
			return true
		}
	}
	lower := strings.ToLower(s)
	for _, hint := range lowerHints {
		if strings.Contains(lower, hint) {
			return true
		}
	}
	return false
}

var hints = []string{"PRIVATE KEY", "gl", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "sk-", "gh", "github_pat", "xox", "AIza", "eyJ", "://"}

var lowerHints = []string{"pass", "pwd", "secret", "token", "key", "auth", "credential", "bearer"}

// Bytes is String for byte slices.
func Bytes(b []byte) []byte { return []byte(String(string(b))) }
