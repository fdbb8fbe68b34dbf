// Package dialog is the modal boxes: command approval, the agent's question,
// and the optional reason prompt. The renderers here are pure; Model (model.go)
// is the component that holds the dialogs up, their input and their keys.
package dialog

import (
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/internal/termtext"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/keys"
	"gitlab.com/wend/wend/ui/styles"
)

// BoxWidth is the outer width of a dialog on a terminal width cells wide.
func BoxWidth(width int) int { return max(min(width-2, 76), 20) }

// Seen is what the UI knows about an approval beyond the request itself.
type Seen struct {
	// Dir is where a command runs (the checkout's root), shown under it.
	Dir string
	// Preview is a few lines of the edit ("-old", "+new"), shown as a diff.
	Preview []string
	// Away: the user is looking at the review or the plan; the choices apply
	// once back, so the dialog says how to get back.
	Away    bool
	BackKey string
}

// Approval draws the approval request. When denying is set, input is the rendered
// reason editor shown instead of the choices.
func Approval(r session.ApprovalRequest, km keys.KeyMap, st styles.Styles, width int, denying bool, input string) string {
	return ApprovalSeen(r, Seen{}, km, st, width, denying, input)
}

// ApprovalSeen is Approval with the working directory and an edit's preview.
func ApprovalSeen(r session.ApprovalRequest, seen Seen, km keys.KeyMap, st styles.Styles, width int, denying bool, input string) string {
	bw := BoxWidth(width)
	inner := bw - 4 // border 2 + padding 2
	// The request is the model's: what it asks to run must read exactly as
	// it will run, with no escape or bidi control hiding part of it.
	r.Tool, r.Command, r.Path = termtext.Sanitize(r.Tool), termtext.Sanitize(r.Command), termtext.Sanitize(r.Path)
	r.Detail, r.Prefix = termtext.Sanitize(r.Detail), termtext.Sanitize(r.Prefix)
	var lines []string
	title := "Allow this command?"
	switch r.Kind {
	case session.ApproveWrite:
		title = "Allow this edit?"
	case session.ApprovePlan:
		title = "Start on this plan?"
	case session.ApproveProtected:
		title = "Allow this write to a protected file?"
	case session.ApproveNetwork:
		title = "Allow this command to use the network?"
	}
	lines = append(lines, st.Title.Render(ansi.Truncate(title, inner, "…")))
	meta := r.Tool
	if r.StepID != "" {
		meta += " · step " + r.StepID
	}
	if meta != "" {
		lines = append(lines, st.Muted.Render(ansi.Truncate(meta, inner, "…")))
	}
	lines = append(lines, "")
	body := r.Command
	if body == "" {
		body = r.Path
	}
	if body != "" {
		for i, l := range wrapHard(body, inner-2) {
			p := "  "
			if i == 0 {
				p = "$ "
			}
			lines = append(lines, st.Bold.Render(p+l))
		}
	}
	if r.Command != "" && seen.Dir != "" {
		for _, l := range wrapHard("in "+termtext.Sanitize(seen.Dir), inner) {
			lines = append(lines, st.Muted.Render(l))
		}
	}
	if r.Detail != "" {
		for _, l := range wrapHard(r.Detail, inner) {
			lines = append(lines, st.Muted.Render(l))
		}
	}
	if len(seen.Preview) > 0 {
		lines = append(lines, "")
		for _, l := range seen.Preview {
			// The model's text: sanitized, one row each, never wider than the box.
			l = ansi.Truncate(strings.ReplaceAll(termtext.Sanitize(l), "\t", "    "), inner, "…")
			switch {
			case strings.HasPrefix(l, "-"):
				lines = append(lines, st.DiffDel.Render(l))
			case strings.HasPrefix(l, "+"):
				lines = append(lines, st.DiffAdd.Render(l))
			default:
				lines = append(lines, st.Muted.Render(l))
			}
		}
	}
	lines = append(lines, "")
	if denying {
		lines = append(lines, "Reason for the model (optional), enter to deny, esc to go back:")
		lines = append(lines, ansi.Truncate(input, inner, ""))
	} else {
		choices := []key.Binding{km.ApproveOnce}
		// Protected writes and network access are approved one call at a time.
		oneAtATime := r.Kind == session.ApproveProtected || r.Kind == session.ApproveNetwork
		if !oneAtATime {
			choices = append(choices, km.ApproveStep)
		}
		if r.Prefix != "" && !oneAtATime {
			p := km.ApprovePrefix
			p.SetHelp(p.Help().Key, "always allow “"+r.Prefix+"” this session")
			choices = append(choices, p)
		}
		choices = append(choices, km.Deny)
		for _, c := range choices {
			lines = append(lines, ansi.Truncate(st.Key.Render(pad(c.Help().Key, 3))+" "+c.Help().Desc, inner, "…"))
		}
		if seen.Away {
			lines = append(lines, st.Warn.Render(ansi.Truncate(seen.BackKey+" returns here to decide", inner, "…")))
		}
	}
	return st.Dialog.Width(bw).Render(strings.Join(lines, "\n"))
}

// Question draws the agent's ask_user question with the answer editor.
func Question(q string, st styles.Styles, width int, input string) string {
	bw := BoxWidth(width)
	inner := bw - 4
	lines := []string{st.Title.Render("The agent asks"), ""}
	for _, l := range wrapHard(termtext.Sanitize(q), inner) {
		lines = append(lines, l)
	}
	lines = append(lines, "", ansi.Truncate(input, inner, ""), st.Muted.Render(ansi.Truncate("enter to answer", inner, "…")))
	return st.Dialog.Width(bw).Render(strings.Join(lines, "\n"))
}

// Reason draws a one-line prompt (a rejection's reason).
func Reason(title string, st styles.Styles, width int, input string) string {
	bw := BoxWidth(width)
	inner := bw - 4
	lines := []string{st.Title.Render(ansi.Truncate(termtext.Sanitize(title), inner, "…")),
		st.Muted.Render(ansi.Truncate("Reason for the model (optional); enter to send, esc to cancel", inner, "…")),
		"", ansi.Truncate(input, inner, "")}
	return st.Dialog.Width(bw).Render(strings.Join(lines, "\n"))
}

func pad(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

func wrapHard(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	return strings.Split(ansi.Wrap(s, w, " /"), "\n")
}

// EditPreview is the few lines an edit_file or create_file call changes, from
// its arguments, as "- old" and "+ new" rows (at most max of them, the rest
// counted). Other tools have none.
func EditPreview(tool string, args []byte, max int) []string {
	var a struct {
		OldString string  `json:"old_string"`
		NewString string  `json:"new_string"`
		Content   *string `json:"content"`
	}
	if json.Unmarshal(args, &a) != nil {
		return nil
	}
	var out []string
	add := func(sign string, text string) {
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			out = append(out, sign+" "+l)
		}
	}
	switch tool {
	case "edit_file":
		if a.OldString == "" && a.NewString == "" {
			return nil
		}
		if a.OldString != "" {
			add("-", a.OldString)
		}
		if a.NewString != "" {
			add("+", a.NewString)
		}
	case "create_file":
		if a.Content == nil {
			return nil
		}
		add("+", *a.Content)
	default:
		return nil
	}
	if len(out) > max {
		more := len(out) - (max - 1)
		out = append(out[:max-1:max-1], fmt.Sprintf("  … %d more lines", more))
	}
	return out
}
