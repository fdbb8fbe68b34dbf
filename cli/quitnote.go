package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"gitlab.com/wend/wend/session"
)

// quitNoteFiles is how many files the note names before "and N more".
const quitNoteFiles = 5

// tellWaiting prints, once the UI has left the screen, what the session leaves
// undecided and the commands to review it, so quitting never hides work: the
// proposals stay in the working tree and the journal, and this line says so
// on the normal terminal, where it stays in the scrollback.
func tellWaiting(w io.Writer, id string, changes session.Review) {
	if changes == nil {
		return
	}
	fcs, err := changes.Changes(context.Background())
	if err != nil {
		return // the session never got as far as staging anything
	}
	if note := waitingNote(id, fcs); note != "" {
		fmt.Fprintln(w, note)
	}
}

// waitingNote says what waits for review in session id: "2 changed files wait
// for your review in session X (calc.go +3 -1, README.md +1). Review: …".
// It is empty when nothing waits.
func waitingNote(id string, fcs []session.FileChange) string {
	if len(fcs) == 0 {
		return ""
	}
	var files []string
	for i, fc := range fcs {
		if i == quitNoteFiles {
			files = append(files, fmt.Sprintf("and %d more", len(fcs)-i))
			break
		}
		f := fc.Path
		switch {
		case fc.Binary:
			f += " (binary)"
		case fc.Added > 0 || fc.Deleted > 0:
			if fc.Added > 0 {
				f += fmt.Sprintf(" +%d", fc.Added)
			}
			if fc.Deleted > 0 {
				f += fmt.Sprintf(" -%d", fc.Deleted)
			}
		default:
			f += " (" + string(fc.Kind) + ")"
		}
		files = append(files, f)
	}
	what := fmt.Sprintf("%d changed %s %s", len(fcs), plural(len(fcs), "file", "files"), plural(len(fcs), "waits", "wait"))
	return fmt.Sprintf("%s for your review in session %s (%s).\nReview: wend changes · accept: wend accept all --session %s · reject: wend reject PATH --reason WHY",
		what, id, strings.Join(files, ", "), id)
}
