package health

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/redact"
)

// Report is the --json shape of a doctor run.
type Report struct {
	Status   Status            `json:"status"` // the worst verdict
	Results  []Result          `json:"results"`
	Settings map[string]string `json:"settings,omitempty"`
}

// NewReport assembles a report with settings made safe to show (see SafeSettings).
func NewReport(results []Result, settings map[string]string) Report {
	rs := make([]Result, len(results))
	for i, r := range results {
		r.Reason, r.Fix = redact.String(r.Reason), redact.String(r.Fix)
		rs[i] = r
	}
	return Report{Status: Worst(results), Results: rs, Settings: SafeSettings(settings)}
}

// WriteJSON writes the report as one indented JSON document.
func WriteJSON(w io.Writer, results []Result, settings map[string]string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewReport(results, settings))
}

// secretWords mark settings whose values are never shown, whatever they look
// like. They are matched against the ends of the name's words (split at "_",
// "." and "-"), so max_tokens (a budget) and keys.pause (a key binding) show while
// api_key and gitlab_token stay hidden.
var secretWords = map[string]bool{"token": true, "key": true, "apikey": true, "secret": true, "password": true,
	"passwd": true, "credential": true, "credentials": true, "auth": true, "authorization": true, "cookie": true}

// SafeSettings masks secret settings: a key naming a secret shows only whether
// it is set ("set (file ~/.config/...)" is left to the caller's origin
// setting); other values pass through the redactor.
func SafeSettings(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		secret := isSecretSetting(k)
		switch {
		case secret && v == "":
			out[k] = "(not set)"
		case secret:
			out[k] = "(set, hidden)"
		default:
			out[k] = redact.String(v)
		}
	}
	return out
}

// WriteReport writes a markdown report for a bug report or a support ticket:
// a summary, a table of checks, what to do for each problem, and the
// settings in use. Secrets are masked.
func WriteReport(w io.Writer, results []Result, settings map[string]string) error {
	rep := NewReport(results, settings)
	var b strings.Builder
	counts := map[Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
	}
	fmt.Fprintf(&b, "# wend doctor\n\n%s: %d passed, %d warnings, %d failed, %d skipped.\n\n",
		strings.ToUpper(string(rep.Status)), counts[Pass], counts[Warn], counts[Fail], counts[Skip])
	b.WriteString("| check | status | result | time |\n|---|---|---|---:|\n")
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s |\n", r.Name, mark(r.Status), r.Status, cell(r.Reason), r.Duration.Round(time.Millisecond))
	}
	var todo []Result
	for _, r := range rep.Results {
		if (r.Status == Fail || r.Status == Warn) && r.Fix != "" {
			todo = append(todo, r)
		}
	}
	if len(todo) > 0 {
		b.WriteString("\n## What to do\n\n")
		for _, r := range todo {
			fmt.Fprintf(&b, "- **%s** (%s): %s\n", r.Name, r.Status, r.Fix)
		}
	}
	if len(rep.Settings) > 0 {
		b.WriteString("\n## Settings\n\n")
		keys := make([]string, 0, len(rep.Settings))
		for k := range rep.Settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "- %s: %s\n", k, rep.Settings[k])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mark(s Status) string {
	switch s {
	case Pass:
		return "✓"
	case Warn:
		return "!"
	case Fail:
		return "✗"
	}
	return "–"
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// isSecretSetting reports whether a setting's name says its value is a secret.
// The file that holds one (api_key_file) and where it came from are not.
func isSecretSetting(name string) bool {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '.' || r == '-' || r == ' ' })
	secret := false
	for _, w := range words {
		switch {
		case w == "file" || w == "origin":
			return false
		default:
			// A word that ends like one (privatetoken, gitlabToken) is one too:
			// hiding too much is the safe mistake; max_tokens and keys still show.
			for sw := range secretWords {
				if strings.HasSuffix(w, sw) {
					secret = true
				}
			}
		}
	}
	return secret
}
