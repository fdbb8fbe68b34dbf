package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
)

// The pieces of `wend review` that are not the terminal: a merge request's
// diffs as the review pane's files, and comments drafted by the model per hunk.

// reviewFiles turns a merge request's diffs into the review pane's files.
func reviewFiles(r *gitlab.Review) []session.FileChange {
	out := make([]session.FileChange, 0, len(r.Files))
	for _, f := range r.Files {
		fc := session.FileChange{Path: f.NewPath, Kind: session.ChangeModified, Language: repo.Language(f.NewPath)}
		switch {
		case f.New:
			fc.Kind = session.ChangeAdded
		case f.Deleted:
			fc.Kind, fc.Path = session.ChangeDeleted, f.OldPath
		case f.Renamed && f.OldPath != f.NewPath:
			fc.Kind, fc.OldPath = session.ChangeRenamed, f.OldPath
		}
		fc.Hunks = parseHunks(fc.Path, f.Diff)
		for _, h := range fc.Hunks {
			for _, l := range h.Lines {
				switch kind := l[:min(1, len(l))]; kind {
				case "+":
					fc.Added++
				case "-":
					fc.Deleted++
				}
			}
		}
		fc.Binary = len(fc.Hunks) == 0 && strings.HasPrefix(f.Diff, "Binary files")
		out = append(out, fc)
	}
	return out
}

// parseHunks reads the hunks of one file's unified diff as GitLab sends it
// (no file header). A hunk's id is path#n, n counted from 1.
func parseHunks(path, diff string) []session.Hunk {
	var hunks []session.Hunk
	for _, l := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
		if strings.HasPrefix(l, "@@") {
			h := session.Hunk{ID: fmt.Sprintf("%s#%d", path, len(hunks)+1), Header: l, State: session.HunkProposed}
			h.OldStart, h.OldLines, h.NewStart, h.NewLines = hunkRange(l)
			hunks = append(hunks, h)
			continue
		}
		if len(hunks) == 0 || l == "" && len(hunks[len(hunks)-1].Lines) == 0 {
			continue
		}
		if l == "" {
			l = " " // an empty context line whose space a proxy or editor trimmed
		}
		hunks[len(hunks)-1].Lines = append(hunks[len(hunks)-1].Lines, l)
	}
	return hunks
}

// hunkRange reads "@@ -a,b +c,d @@"; a missing count is 1, as in git.
func hunkRange(h string) (oldStart, oldLines, newStart, newLines int) {
	oldLines, newLines = 1, 1
	for _, f := range strings.Fields(h)[1:] {
		if f == "@@" {
			break
		}
		num, count, has := strings.Cut(f[1:], ",")
		n, _ := strconv.Atoi(num)
		c, _ := strconv.Atoi(count)
		if !has {
			c = 1
		}
		switch f[0] {
		case '-':
			oldStart, oldLines = n, c
		case '+':
			newStart, newLines = n, c
		}
	}
	return
}

// numbered is one line of a hunk with its old and new line numbers (0: none).
type numbered struct {
	old, new int
	text     string // with its marker
}

func numberLines(h session.Hunk) []numbered {
	out := make([]numbered, 0, len(h.Lines))
	o, n := h.OldStart, h.NewStart
	for _, l := range h.Lines {
		switch {
		case strings.HasPrefix(l, "+"):
			out = append(out, numbered{new: n, text: l})
			n++
		case strings.HasPrefix(l, "-"):
			out = append(out, numbered{old: o, text: l})
			o++
		case strings.HasPrefix(l, "\\"):
		default:
			out = append(out, numbered{old: o, new: n, text: l})
			o, n = o+1, n+1
		}
	}
	return out
}

// reviewComment is a drafted comment as the review shows and posts it.
type reviewComment struct {
	gitlab.ReviewComment
	Hunk string `json:"hunk"` // path#n
}

// maxHunkPrompt bounds the lines of one hunk sent to the model.
const maxHunkPrompt = 400

const draftSystem = `You review a GitLab merge request one hunk at a time, as a careful senior engineer.
Comment only on real problems: bugs, missing error handling, unclear names, missing tests. Say nothing
about style a formatter fixes. Most hunks need no comment.
Reply with JSON only, no prose around it:
{"comments": [{"line": N, "side": "new", "body": "what is wrong and why", "suggestion": "replacement text"}]}
"line" is a number from the NEW column (side "new") or, for a removed line, from the OLD column (side "old").
"suggestion" is optional: the full replacement for that one new-side line (it may span several lines).
No comment: {"comments": []}`

// draftHunk asks the model for comments on one hunk. The merge request's title
// and description and the hunk go as context, redacted.
func draftHunk(ctx context.Context, p llm.Provider, model string, r *gitlab.Review, f session.FileChange, h session.Hunk) ([]reviewComment, error) {
	lines := numberLines(h)
	var b strings.Builder
	fmt.Fprintf(&b, "Merge request %s: %s\n\nDescription:\n%s\n\nFile: %s\nHunk %s\n\n OLD  NEW\n", r.Ref, r.Title, orNoneText(r.Description), f.Path, h.Header)
	for i, l := range lines {
		if i == maxHunkPrompt {
			fmt.Fprintf(&b, "[%d more lines not shown]\n", len(lines)-i)
			break
		}
		fmt.Fprintf(&b, "%4s %4s  %s\n", lineNo(l.old), lineNo(l.new), l.text)
	}
	resp, err := p.Stream(ctx, llm.Request{
		Model:     model,
		System:    draftSystem,
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: []llm.Block{llm.Text(redact.String(b.String()))}}},
		MaxTokens: 1500,
	}, func(llm.Delta) {})
	if err != nil {
		return nil, err
	}
	var text strings.Builder
	for _, blk := range resp.Message.Content {
		text.WriteString(blk.Text)
	}
	return parseDrafts(text.String(), f, h, lines)
}

func orNoneText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}

func lineNo(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// parseDrafts reads the model's answer. A comment on a line the hunk does not
// have goes on the hunk's first changed line, saying so, rather than being lost.
func parseDrafts(answer string, f session.FileChange, h session.Hunk, lines []numbered) ([]reviewComment, error) {
	start, end := strings.Index(answer, "{"), strings.LastIndex(answer, "}")
	if start < 0 || end < start {
		return nil, fmt.Errorf("the model's answer is not the JSON asked for: %.80q", answer)
	}
	var in struct {
		Comments []struct {
			Line       json.Number `json:"line"`
			Side       string      `json:"side"`
			Body       string      `json:"body"`
			Suggestion *string     `json:"suggestion"`
		} `json:"comments"`
	}
	if err := json.Unmarshal([]byte(answer[start:end+1]), &in); err != nil {
		return nil, fmt.Errorf("the model's answer is not the JSON asked for: %v", err)
	}
	oldPath := f.OldPath
	if oldPath == "" {
		oldPath = f.Path
	}
	var out []reviewComment
	for _, c := range in.Comments {
		body := strings.TrimSpace(redact.String(c.Body))
		if body == "" {
			continue
		}
		n, _ := strconv.Atoi(c.Line.String())
		at, ok := findLine(lines, n, c.Side == "old")
		if !ok {
			at = firstChanged(lines)
			body = fmt.Sprintf("(on line %s, which this hunk does not show) %s", c.Line, body)
		}
		if c.Suggestion != nil && at.new > 0 && ok {
			body += "\n\n" + suggestion(redact.String(*c.Suggestion))
		}
		cm := reviewComment{Hunk: h.ID, ReviewComment: gitlab.ReviewComment{OldPath: oldPath, NewPath: f.Path, OldLine: int64(at.old), NewLine: int64(at.new), Body: body}}
		out = append(out, cm)
	}
	return out, nil
}

func findLine(lines []numbered, n int, old bool) (numbered, bool) {
	for _, l := range lines {
		if old && l.old == n && l.new == 0 || !old && l.new == n {
			return l, true
		}
	}
	if old { // "old" for a context line
		for _, l := range lines {
			if l.old == n {
				return l, true
			}
		}
	}
	return numbered{}, false
}

func firstChanged(lines []numbered) numbered {
	for _, l := range lines {
		if l.old == 0 || l.new == 0 {
			return l
		}
	}
	if len(lines) > 0 {
		return lines[0]
	}
	return numbered{}
}

// suggestion is GitLab's suggestion block replacing the commented line
// (-0+0: no lines above or below it). A fence longer than any run of
// backticks in the text keeps the block closed where it should be.
func suggestion(text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + "suggestion:-0+0\n" + strings.TrimRight(text, "\n") + "\n" + fence
}
