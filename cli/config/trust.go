package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"gitlab.com/wend/wend/remote/llm"
)

// A repository's .wend.toml arrives with every clone and pull, and the agent can
// write it too, so it is not the user's own word. Each key a config file can hold
// therefore has a class that says whether a repository the user has not trusted
// may set it. TestEveryConfigKeyIsClassifiedForUntrustedRepos fails for a key
// without one, so a new key must choose; a key missing here at run time is
// treated as trustedRepoOnly.
type keyClass int

const (
	// safeInRepo keys can neither redirect a secret nor lower safety.
	safeInRepo keyClass = iota
	// tightenOnlyInRepo keys apply from an untrusted repository only when they
	// make the effective value (defaults and user config) stricter.
	tightenOnlyInRepo
	// trustedRepoOnly keys name a URL, host, key or token file, choose where the
	// key is sent, or change what a key press approves: only a trusted repository
	// may set them.
	trustedRepoOnly
	// userOnly keys guard the user against the repository itself, so no
	// repository sets them, trusted or not.
	userOnly
)

var repoKeyClasses = map[string]keyClass{
	"model": safeInRepo,
	// provider picks which host receives the key (api_key_file of the user's
	// provider would go to another vendor): it decides where a secret goes.
	"provider":          trustedRepoOnly,
	"base_url":          trustedRepoOnly,
	"gitlab_url":        trustedRepoOnly,
	"api_key_file":      trustedRepoOnly,
	"gitlab_token_file": trustedRepoOnly,
	// A rebinding could put "approve" on the key the user presses to deny.
	"keys":            trustedRepoOnly,
	"approval":        tightenOnlyInRepo,
	"plan_approval":   tightenOnlyInRepo,
	"max_turns":       tightenOnlyInRepo, // more turns spend more of the user's money unattended
	"protected_paths": userOnly,
	// The sandbox guards the user's machine against commands the repository's
	// own content can steer (its scripts, its tests, its AGENTS.md).
	"sandbox":           userOnly,
	"sandbox_network":   userOnly,
	"sandbox_deny_read": userOnly,
	"sandbox_writable":  userOnly,
	// Whether work goes on once the user's terminal is gone, and in a process
	// that outlives it, is the user's call: a repository could otherwise keep
	// a session spending unattended.
	"host":      userOnly,
	"on_detach": userOnly,
	// Network limits bound waits and sizes on the hosts the user chose. A
	// repository may shorten them (wend fails sooner) but never lengthen them:
	// "1000h" or a huge size would bring back the endless hang and the
	// unbounded memory the limits exist to stop.
	"connect_timeout":     tightenOnlyInRepo,
	"response_timeout":    tightenOnlyInRepo,
	"stream_idle_timeout": tightenOnlyInRepo,
	"max_response_mb":     tightenOnlyInRepo,

	// A larger output or thinking budget spends more per request.
	"max_tokens":      tightenOnlyInRepo,
	"thinking_budget": tightenOnlyInRepo,
	// A smaller window only summarises sooner (one more request).
	"context_window": safeInRepo,

	// How the terminal interface looks and signals: nothing a secret or an
	// approval depends on.
	"mouse":  safeInRepo,
	"notify": safeInRepo,
	"ascii":  safeInRepo,
	"inline": safeInRepo,
	// Each fix attempt is another unattended agent run; a shorter poll
	// interval is more load on the user's GitLab.
	"pipeline_fix_attempts":  tightenOnlyInRepo,
	"pipeline_poll_interval": tightenOnlyInRepo,
}

// TrustState says whether a repository's .wend.toml applies in full.
type TrustState string

const (
	TrustNoFile    TrustState = ""          // no .wend.toml
	TrustTrusted   TrustState = "trusted"   // recorded, same content
	TrustUntrusted TrustState = "untrusted" // never trusted, or revoked
	TrustChanged   TrustState = "changed"   // trusted once, content changed since
)

// RepoConfig reports how the repository's .wend.toml was applied.
type RepoConfig struct {
	Path      string // the .wend.toml; "" when there is none
	Trust     TrustState
	TrustedAt time.Time // when the user trusted it (also for TrustChanged)
	// TrustError is set when the trust store could not be used; the file then
	// counts as untrusted.
	TrustError string
	Ignored    []IgnoredKey
}

// IgnoredKey is a setting of the repository's file that was not applied.
type IgnoredKey struct {
	Key    string
	Value  string // as written (file names and URLs, never secrets)
	Origin string // file:line
	Why    string
}

// Warning is the line(s) to show when the repository's file set something that
// was ignored; "" when nothing was.
func (r RepoConfig) Warning() string {
	if len(r.Ignored) == 0 {
		return ""
	}
	var trusted, userKeys []string
	for _, k := range r.Ignored {
		if repoKeyClasses[k.Key] == userOnly {
			userKeys = append(userKeys, k.Key)
		} else {
			trusted = append(trusted, k.Key)
		}
	}
	var b strings.Builder
	if len(trusted) > 0 {
		why := "this repository is not trusted"
		switch {
		case r.TrustError != "":
			why = "the trust store could not be read (" + r.TrustError + ")"
		case r.Trust == TrustChanged:
			why = "the file changed since you trusted it on " + r.TrustedAt.Format("2006-01-02")
		}
		fmt.Fprintf(&b, "ignoring %s in %s: %s, and these settings could send your keys to another host or loosen approvals.\n"+
			"Review the file; to apply it, run: wend trust -C %s",
			strings.Join(trusted, ", "), r.Path, why, shellQuote(filepath.Dir(r.Path)))
	}
	if len(userKeys) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "ignoring %s in %s: only your own config (%s) may set it", strings.Join(userKeys, ", "), r.Path, UserConfigPath())
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TrustStorePath is where the user's trust decisions live, beside their config.
func TrustStorePath() string { return filepath.Join(filepath.Dir(UserConfigPath()), "trusted.toml") }

// trustEntry is one trusted repository. The content hash is part of the
// decision: trust covers the file the user reviewed, so a pull, a branch switch or
// an agent's edit that changes it needs a new `wend trust`.
type trustEntry struct {
	Root      string    `toml:"root"`   // the repository's real path (symlinks resolved)
	SHA256    string    `toml:"sha256"` // of .wend.toml's bytes when trusted
	TrustedAt time.Time `toml:"trusted_at"`
}

type trustFile struct {
	Repo []trustEntry `toml:"repo"`
}

const trustHeader = "# Repositories whose .wend.toml wend applies in full, with the content you trusted.\n" +
	"# Managed by `wend trust` and `wend trust --revoke`; a changed file needs trusting again.\n\n"

// readTrust reads the store; a missing store is empty. A store that others can
// write is refused: whoever can write it can trust any repository for the user.
func readTrust(path string) (trustFile, error) {
	var tf trustFile
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return tf, nil
	}
	if err != nil {
		return tf, err
	}
	if info.Mode().Perm()&0o022 != 0 {
		return tf, fmt.Errorf("%s is writable by others (mode %o); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return tf, err
	}
	if err := toml.Unmarshal(data, &tf); err != nil {
		return tf, fmt.Errorf("%s: %v", path, err)
	}
	return tf, nil
}

// writeTrust replaces the store atomically (temporary file, rename), mode 0600.
func writeTrust(path string, tf trustFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	body, err := toml.Marshal(tf)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".trusted-*.toml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append([]byte(trustHeader), body...)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// realRoot is the key a repository is trusted under: its absolute path with
// symlinks resolved, so two spellings of one checkout share one decision.
func realRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Trusted is what TrustRepo recorded.
type Trusted struct {
	Root, File, SHA256 string
	// Restricted lists the settings of the file that apply only because it is
	// trusted, as "key = value", for the user to see what they agreed to.
	Restricted []string
}

// TrustRepo records that the user trusts the current content of root's
// .wend.toml, replacing an earlier decision for root. It fails when there is no
// such file or it does not parse (trusting a broken file would help no one).
func TrustRepo(store, root string) (Trusted, error) {
	real, err := realRoot(root)
	if err != nil {
		return Trusted{}, err
	}
	file := filepath.Join(real, ".wend.toml")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return Trusted{}, fmt.Errorf("%s does not exist: there is nothing to trust in this repository", file)
	}
	if err != nil {
		return Trusted{}, err
	}
	f, err := decodeFile(file, data)
	if err != nil {
		return Trusted{}, err
	}
	tf, err := readTrust(store)
	if err != nil {
		return Trusted{}, err
	}
	tf.Repo = slices.DeleteFunc(tf.Repo, func(e trustEntry) bool { return e.Root == real })
	sum := contentHash(data)
	tf.Repo = append(tf.Repo, trustEntry{Root: real, SHA256: sum, TrustedAt: time.Now().UTC().Truncate(time.Second)})
	if err := writeTrust(store, tf); err != nil {
		return Trusted{}, fmt.Errorf("recording trust in %s: %w", store, err)
	}
	t := Trusted{Root: real, File: file, SHA256: sum}
	for _, key := range presentKeys(&f) {
		if repoKeyClasses[key] == trustedRepoOnly || repoKeyClasses[key] == tightenOnlyInRepo {
			t.Restricted = append(t.Restricted, key+" = "+valueOf(&f, key))
		}
	}
	return t, nil
}

// RevokeTrust forgets root's trust decision; removed is false when there was none.
func RevokeTrust(store, root string) (removed bool, err error) {
	real, err := realRoot(root)
	if err != nil {
		return false, err
	}
	tf, err := readTrust(store)
	if err != nil {
		return false, err
	}
	n := len(tf.Repo)
	tf.Repo = slices.DeleteFunc(tf.Repo, func(e trustEntry) bool { return e.Root == real })
	if len(tf.Repo) == n {
		return false, nil
	}
	return true, writeTrust(store, tf)
}

// TrustedRepos lists the roots the user trusts, for `wend trust --list`.
func TrustedRepos(store string) ([]string, error) {
	tf, err := readTrust(store)
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, e := range tf.Repo {
		roots = append(roots, e.Root+"\t"+e.TrustedAt.Format(time.RFC3339))
	}
	return roots, nil
}

// repoGate decides, for the repository file at path with content data, which of
// its keys apply: everything when the user trusted this very content, else only
// what its class allows. Ignored keys are recorded in s.Repo.
func (s *Settings) repoGate(store, root, path string, data []byte, f *File) func(key string) bool {
	s.Repo = RepoConfig{Path: path, Trust: TrustUntrusted}
	if real, err := realRoot(root); err != nil {
		s.Repo.TrustError = err.Error()
	} else if tf, err := readTrust(store); err != nil {
		s.Repo.TrustError = err.Error()
	} else {
		for _, e := range tf.Repo {
			if e.Root != real {
				continue
			}
			s.Repo.TrustedAt = e.TrustedAt
			s.Repo.Trust = TrustChanged
			if e.SHA256 == contentHash(data) {
				s.Repo.Trust = TrustTrusted
			}
		}
	}
	return func(key string) bool {
		class, known := repoKeyClasses[key]
		if !known {
			class = trustedRepoOnly
		}
		var why string
		switch {
		case class == userOnly:
			why = "only your own config may set it"
		case s.Repo.Trust == TrustTrusted || class == safeInRepo:
			return true
		case class == tightenOnlyInRepo && !s.loosens(key, f):
			return true
		case class == tightenOnlyInRepo:
			why = "looser than your own setting, and the repository is not trusted"
		default:
			why = "the repository is not trusted"
		}
		s.Repo.Ignored = append(s.Repo.Ignored, IgnoredKey{Key: key, Value: valueOf(f, key), Origin: path + ":" + lineOf(data, key), Why: why})
		return false
	}
}

// policyRank orders approval policies from most to least cautious; an unknown
// name ranks loosest, so a repository cannot slip one past the comparison.
func policyRank(p string) int {
	switch p {
	case "read-only":
		return 0
	case "ask", "":
		return 1
	case "auto-edit":
		return 2
	}
	return 3
}

// loosens reports whether the file's value for a tighten-only key is less strict
// than the value in effect so far (defaults and the user's own file).
func (s *Settings) loosens(key string, f *File) bool {
	switch key {
	case "approval":
		return policyRank(*f.Approval) > policyRank(s.Approval)
	case "plan_approval":
		return s.PlanApproval && !*f.PlanApproval
	case "max_turns":
		return *f.MaxTurns > s.MaxTurns
	case "max_tokens":
		// Against the budget in effect so far: the user's, else the default for
		// the provider and model so far (0, an OpenAI-compatible server's own
		// limit: any budget the repository sets is lower).
		cur := s.MaxTokens
		if cur == 0 {
			cur = llm.DefaultMaxTokensFor(s.Provider, s.Model)
		}
		return cur > 0 && *f.MaxTokens > cur
	case "thinking_budget":
		return *f.ThinkingBudget > s.ThinkingBudget
	case "connect_timeout":
		return longer(*f.ConnectTimeout, s.ConnectTimeout)
	case "response_timeout":
		return longer(*f.ResponseTimeout, s.ResponseTimeout)
	case "stream_idle_timeout":
		return longer(*f.StreamIdleTimeout, s.StreamIdleTimeout)
	case "max_response_mb":
		return *f.MaxResponseMB > s.MaxResponseMB
	case "pipeline_fix_attempts":
		return *f.PipelineFixAttempts > s.PipelineFixAttempts
	case "pipeline_poll_interval":
		d, err := time.ParseDuration(*f.PipelinePollInterval)
		return err != nil || d < s.PipelinePollInterval
	}
	return true
}

// longer reports whether the duration text v exceeds cur; text that does not
// parse counts as longer, so it is ignored rather than slipped through (the
// value's own error is reported when the file is trusted).
func longer(v string, cur time.Duration) bool {
	d, err := time.ParseDuration(v)
	return err != nil || d > cur
}

// presentKeys lists the keys f sets, in File's field order.
func presentKeys(f *File) []string {
	v := reflect.ValueOf(f).Elem()
	var keys []string
	for i := range v.NumField() {
		fv := v.Field(i)
		if fv.IsNil() || (fv.Kind() == reflect.Map && fv.Len() == 0) {
			continue
		}
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("toml"), ",")
		keys = append(keys, key)
	}
	return keys
}

// valueOf renders the value f gives key, for messages (never a secret: files
// name secrets, they do not hold them).
func valueOf(f *File, key string) string {
	v := reflect.ValueOf(f).Elem()
	for i := range v.NumField() {
		if k, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("toml"), ","); k != key {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				return ""
			}
			fv = fv.Elem()
		}
		if fv.Kind() == reflect.String {
			return fmt.Sprintf("%q", fv.String())
		}
		return fmt.Sprint(fv.Interface())
	}
	return ""
}
