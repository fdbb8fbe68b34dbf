package tools

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
)

// Redaction (security finding 4). Everything a tool returns goes to the model,
// the screen, the session log, `wend run --json` and --record files, so Execute
// passes every Result through Config.Redact: the one place tool output is
// masked. Writes are never redacted: edit_file and create_file write exactly
// what the model sent. Because the model only ever sees masked text, it could
// try to write a mask back over the real secret; refuseRedactedWrite stops that.

// Redact masks secrets in s with the configured redaction (identity when none
// is configured). Engines use it for results they build outside Execute, such
// as Duo's GitLab API answers.
func (r *Registry) Redact(s string) string {
	if r.cfg.Redact == nil || s == "" {
		return s
	}
	return r.cfg.Redact(s)
}

// redactResult masks what a result carries as text. Changed holds paths the
// registry confined and wrote, which are not output.
func (r *Registry) redactResult(res Result) Result {
	res.Output = r.Redact(res.Output)
	res.Summary = r.Redact(res.Summary)
	return res
}

// refuseRedactedWrite returns an error Result when an edit_file or create_file
// call was built from masked text: an old_string that matches the file only as
// read_file showed it (redacted), or new content that repeats a masked line of
// the file it overwrites. Writing either would replace a real secret with the
// mask. Anything else (unknown path, unreadable file) is left to the tool,
// which reports it in its own words.
func (r *Registry) refuseRedactedWrite(name string, args json.RawMessage) *Result {
	if r.cfg.Redact == nil || (name != ToolEditFile && name != ToolCreateFile) {
		return nil
	}
	var a struct {
		Path      string `json:"path"`
		OldString string `json:"old_string"`
		Content   string `json:"content"`
	}
	if json.Unmarshal(args, &a) != nil {
		return nil
	}
	t, err := r.resolve(a.Path)
	if err != nil {
		return nil
	}
	data, err := r.readTarget(t) // confine.go
	if errors.Is(err, fs.ErrNotExist) || err != nil {
		return nil
	}
	// read_file shows CRLF lines without the \r; compare in that form.
	content := strings.ReplaceAll(string(data), "\r\n", "\n")
	masked := r.Redact(content)
	if masked == content {
		return nil // nothing in the file is shown redacted
	}
	switch name {
	case ToolEditFile:
		old := strings.ReplaceAll(a.OldString, "\r\n", "\n")
		if old == "" || strings.Contains(content, old) || !strings.Contains(masked, old) {
			return nil
		}
		res := failf("edit_file %s: old_string contains a redacted secret", t.Rel).withOutput(
			"old_string matches %s only as read_file showed it: that text contains a redacted secret, and the file holds the real value, "+
				"which you cannot see; edit around it: choose an old_string on the lines before or after the redacted part, "+
				"or ask the user to change the secret.", t.Rel)
		return &res
	default: // create_file over an existing file
		if line, ok := repeatsMaskedLine(content, masked, a.Content); ok {
			res := failf("create_file %s: content contains a redacted secret", t.Rel).withOutput(
				"The new content of %s repeats a line that read_file showed redacted (%q): that text contains a redacted secret, and "+
					"overwriting the file would replace the real secret with the mask. Edit around it with edit_file, changing only "+
					"the lines you need.", t.Rel, shorten(line, 80))
			return &res
		}
		return nil
	}
}

// repeatsMaskedLine reports a line of masked (the redacted view of content)
// that is not a line of content itself, i.e. one the redaction changed, and
// that appears in next.
func repeatsMaskedLine(content, masked, next string) (string, bool) {
	real := map[string]bool{}
	for _, l := range strings.Split(content, "\n") {
		real[l] = true
	}
	next = strings.ReplaceAll(next, "\r\n", "\n")
	for _, l := range strings.Split(masked, "\n") {
		if !real[l] && strings.TrimSpace(l) != "" && strings.Contains(next, l) {
			return l, true
		}
	}
	return "", false
}
