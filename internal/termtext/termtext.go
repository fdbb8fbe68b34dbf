// Package termtext makes text that wend did not write itself (model output, GitLab
// titles and descriptions, file contents, tool output) safe to put on a terminal.
//
// A terminal obeys bytes, not intentions: an ESC or a C1 control starts a sequence
// that can set the window title (OSC 0), write the clipboard (OSC 52), clear the
// screen or move the cursor over earlier lines, and the Unicode bidi controls
// reorder what a reviewer reads (Trojan Source). Sanitize leaves no such character
// in place: each one is written out visibly as a JSON-style escape (`\u001b`,
// `\u202e`), so a reviewer sees that something odd is there instead of having it
// silently vanish, and the escape itself is plain ASCII that no terminal acts on.
//
// The escape form is JSON's on purpose: wend's --json output carries these
// characters raw only inside JSON strings (encoding/json escapes C0 controls but
// not DEL, C1 or bidi controls), and there `\u202e` decodes to the very same
// character. One writer can therefore guard every byte a command prints, plain
// text and JSON alike, and the JSON stays lossless.
package termtext

import (
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Sanitize returns s with every character a terminal could act on made visible:
// C0 controls other than tab and newline (a carriage return survives only right
// before a newline, as in CRLF files), DEL, C1 controls (U+0080–U+009F, among them
// the 8-bit CSI and OSC), ESC and with it every CSI, OSC, DCS, SOS, PM and APC
// sequence, the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069), and the invisible tag characters (U+E0000–U+E007F, used to hide
// instructions from people but not from models). A byte that is not valid UTF-8
// becomes `\xNN`. Everything else, including tabs, is unchanged.
//
// Sanitize is idempotent, and a string with nothing to escape is returned as is,
// without allocating.
func Sanitize(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	return string(appendSanitized(b, s[i:]))
}

// firstUnsafe is the byte offset of the first character Sanitize would change,
// or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
			i++
			continue
		}
		if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			return i
		}
		i += n
	}
	return -1
}

// unsafeRune reports the non-ASCII characters that are written escaped.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r >= 0xe0000 && r <= 0xe007f: // tag characters: invisible text
		return true
	}
	return false
}

// appendSanitized appends s to b with every unsafe character escaped.
func appendSanitized(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
			b = append(b, c)
			i++
			continue
		}
		if c == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			b = append(b, '\r', '\n')
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			b = appendU(b, rune(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case unsafeRune(r):
			if r > 0xffff { // as JSON writes it: a UTF-16 surrogate pair
				r -= 0x10000
				b = appendU(b, 0xd800+(r>>10))
				b = appendU(b, 0xdc00+(r&0x3ff))
			} else {
				b = appendU(b, r)
			}
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// appendU appends `\uXXXX` for r (r <= 0xffff).
func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
