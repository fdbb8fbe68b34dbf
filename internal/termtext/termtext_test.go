package termtext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"clean", "fix #12: naïve café ✓ 日本\tx\n", "fix #12: naïve café ✓ 日本\tx\n"},
		{"OSC 0 window title", "a\x1b]0;pwned\x07b", `a\u001b]0;pwned\u0007b`},
		{"OSC 52 clipboard", "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x1b\\", `\u001b]52;c;Y3VybCBldmlsIHwgc2g=\u001b\`},
		{"CSI clear screen", "\x1b[2J\x1b[H", `\u001b[2J\u001b[H`},
		{"DCS", "\x1bPq#0\x1b\\", `\u001bPq#0\u001b\`},
		{"APC PM SOS", "\x1b_x\x1b^y\x1bXz", `\u001b_x\u001b^y\u001bXz`},
		{"lone ESC at end", "end\x1b", `end\u001b`},
		{"C0 and DEL", "\x00\x08\x0b\x0c\x7f", `\u0000\u0008\u000b\u000c\u007f`},
		{"CRLF kept, lone CR not", "a\r\nb\rc\r", "a\r\nb\\u000dc\\u000d"},
		{"C1 as UTF-8", "\u009b2J \u009d0;x\u009c \u0085", `\u009b2J \u009d0;x\u009c \u0085`},
		{"8-bit CSI byte", "\x9b2J", `\x9b2J`},
		{"invalid UTF-8", "caf\xe9 \xe2\x80", `caf\xe9 \xe2\x80`},
		{"bidi override", "access = \u202euser\u202c", `access = \u202euser\u202c`},
		{"bidi isolates and marks", "\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a\u202b\u202d",
			`\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a\u202b\u202d`},
		{"tag characters", "ok\U000E0041\U000E007F", `ok\udb40\udc41\udb40\udc7f`},
		{"zero width joiner stays", "👩\u200d💻", "👩\u200d💻"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.in)
			if got != tc.want {
				t.Errorf("Sanitize(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := Sanitize(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// The escapes are JSON's, so sanitizing JSON that encoding/json wrote keeps it
// valid and decodes to the same strings: --json output loses nothing.
func TestSanitizeKeepsJSONLossless(t *testing.T) {
	orig := map[string]string{"title": "a\x1b]0;x\x07 \u202e \u009b \x7f \U000E0041 \u2028 ok"}
	raw, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	safe := Sanitize(string(raw))
	assertSafe(t, safe)
	var back map[string]string
	if err := json.Unmarshal([]byte(safe), &back); err != nil {
		t.Fatalf("sanitized JSON no longer parses: %v\n%s", err, safe)
	}
	if back["title"] != orig["title"] {
		t.Errorf("round trip changed the text:\n got %q\nwant %q", back["title"], orig["title"])
	}
}

func TestSanitizeCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("a clean line with ünïcödé, tabs\tand newlines\r\n", 20)
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
		t.Errorf("Sanitize of clean text allocated %v times", n)
	}
}

func TestWriterJoinsSplitCharacters(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	// U+202E split over three writes, CRLF split over two, then ESC alone.
	for _, p := range []string{"x\xe2", "\x80", "\xae y\r", "\nz\x1b", "[2J"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	w.Write([]byte("\xe2\x80")) // never completed: Flush writes it escaped
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "x\\u202e y\r\nz\\u001b[2J\\xe2\\x80"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

func assertSafe(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8 in %q", s)
	}
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
		case r < 0x20 || r == 0x7f || unsafeRune(r):
			t.Fatalf("unsafe %U at %d in %q", r, i, s)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;pwned\x07", "\x1b]52;c;Y3VybA==\x1b\\", "\x1b[2J",
		"\u202e", "\x9b", "\xc2\x9b", "a\r\nb\r", "\xe2\x80", "\U000E0041", "\\u001b", "tab\there"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		assertSafe(t, out)
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if firstUnsafe(in) < 0 && out != in {
			t.Fatalf("clean input changed: %q -> %q", in, out)
		}
		// Every character that is printable and safe survives as is.
		clean := true
		for _, r := range in {
			if r == utf8.RuneError || r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || unsafeRune(r) {
				clean = false
				break
			}
		}
		if clean && out != in {
			t.Fatalf("printable input changed: %q -> %q", in, out)
		}
		// The Writer gives the same bytes however the input is split.
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for i := 0; i < len(in); i += 3 {
			w.Write([]byte(in[i:min(i+3, len(in))]))
		}
		w.Flush()
		if buf.String() != out {
			t.Fatalf("Writer in 3-byte pieces: %q, Sanitize: %q", buf.String(), out)
		}
	})
}

// Sanitize runs on every rendered diff row and every printed line: clean text
// (the common case) must cost a scan and nothing else.
func BenchmarkSanitize(b *testing.B) {
	clean := strings.Repeat("func (s *Session) Valid() bool { return ünïcödé }\t// ok\n", 64)
	dirty := strings.Repeat("title \x1b]0;pwned\x07 \u202eevil\u202c\n", 64)
	for _, c := range []struct{ name, s string }{{"clean", clean}, {"hostile", dirty}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				Sanitize(c.s)
			}
		})
	}
}
