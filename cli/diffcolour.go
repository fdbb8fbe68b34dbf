package cli

import (
	"io"
	"os"

	"gitlab.com/wend/wend/internal/termtext"
)

// `wend changes` colours its diff lines on a terminal, as git does. The colour
// is wend's own escape around text that is sanitized first, so a file's bytes
// still cannot act on the terminal. NO_COLOR (no-color.org), TERM=dumb and
// --no-color turn it off; into a pipe or a file the output stays plain.

// diffColour reports whether diff lines written to w get colour.
func diffColour(w io.Writer, env func(string) string, noColor bool) bool {
	if noColor || env("NO_COLOR") != "" || env("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// colourDiffLine returns one diff body line sanitized and coloured by its kind:
// green added, red removed, plain context.
func colourDiffLine(l string) string {
	safe := termtext.Sanitize(l)
	switch {
	case len(l) > 0 && l[0] == '+':
		return "\x1b[32m" + safe + "\x1b[m"
	case len(l) > 0 && l[0] == '-':
		return "\x1b[31m" + safe + "\x1b[m"
	}
	return safe
}

// colourHunkHeader colours a hunk's header line cyan, as git does.
func colourHunkHeader(s string) string { return "\x1b[36m" + termtext.Sanitize(s) + "\x1b[m" }
