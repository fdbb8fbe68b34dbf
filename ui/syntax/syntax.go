// Package syntax is wend's small code highlighter: it splits one line of source
// into keyword, type, string, comment and number spans for the languages users
// meet most, chosen by file name or a language hint. It replaced Chroma, whose
// lexer registry cost ~50 ms and ~3 MB at every process start: here the tables
// are built on first use (sync.OnceValue), and a line is scanned once, by hand.
//
// Lines are tokenised on their own (a diff or a streamed code block shows
// fragments anyway), so a string or comment never carries over to the next line.
package syntax

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a span of source is.
type Kind uint8

const (
	Plain Kind = iota
	Keyword
	Type
	String
	Comment
	Number
)

// Span is a run of text of one kind.
type Span struct {
	Text string
	Kind Kind
}

// mode selects the few languages whose shape is not "identifiers, strings and
// comments".
type mode uint8

const (
	modeCode     mode = iota
	modeKeyValue      // YAML, TOML: the key that starts a line
	modeJSON          // object keys are strings followed by ':'
	modeMarkdown      // headings and fences are lines, `code` spans
	modeMake          // a target before ':' at the start of a line
	modeHTML          // tags and, inside them, quoted attribute values
	modeCSS           // property names before ':'
)

// Lang is one language's token rules. A nil *Lang highlights nothing.
type Lang struct {
	Name      string
	keywords  map[string]bool
	types     map[string]bool
	foldCase  bool     // SQL, Dockerfile: keywords in any case
	line      []string // line comment openers
	block     [2]string
	quotes    string // string delimiters
	hashWord  bool   // C: "#include" is a keyword
	hashSpace bool   // shell: '#' opens a comment only after a space or at the start
	mode      mode
}

// Tokens appends the spans of line to out and returns it; joined, their texts
// are line. Adjacent spans of one kind are merged.
func (l *Lang) Tokens(line string, out []Span) []Span {
	if l == nil || line == "" {
		if line == "" {
			return out
		}
		return append(out, Span{line, Plain})
	}
	t := tokenizer{l: l, s: line, out: out, first: len(out)}
	t.run()
	return t.out
}

type tokenizer struct {
	l     *Lang
	s     string
	out   []Span
	inTag bool // HTML: between '<tag' and '>'

	first     int // spans of out before this line: never merged into
	lastStart int // where the last span starts in s
}

// emit adds s[i:j] as a span of kind k. Spans are emitted in order with no
// gaps, so a span of the same kind as the last one extends it.
func (t *tokenizer) emit(i, j int, k Kind) {
	if i >= j {
		return
	}
	if n := len(t.out); n > t.first && t.out[n-1].Kind == k {
		t.out[n-1].Text = t.s[t.lastStart:j]
		return
	}
	t.lastStart = i
	t.out = append(t.out, Span{t.s[i:j], k})
}

func (t *tokenizer) run() {
	l, s := t.l, t.s
	i := t.lineStart()
	for i < len(s) {
		c := s[i]
		switch {
		case l.block[0] != "" && strings.HasPrefix(s[i:], l.block[0]):
			end := strings.Index(s[i+len(l.block[0]):], l.block[1])
			j := len(s)
			if end >= 0 {
				j = i + len(l.block[0]) + end + len(l.block[1])
			}
			t.emit(i, j, Comment)
			i = j
		case t.lineComment(i):
			t.emit(i, len(s), Comment)
			return
		case l.mode == modeHTML && c == '<' && i+1 < len(s) && (s[i+1] == '/' || isIdentStart(rune(s[i+1]))):
			j := i + 1
			if s[j] == '/' {
				j++
			}
			j = identEnd(s, j, "-")
			t.emit(i, j, Keyword)
			t.inTag = true
			i = j
		case l.mode == modeHTML && c == '>':
			t.inTag = false
			t.emit(i, i+1, Plain)
			i++
		case strings.IndexByte(l.quotes, c) >= 0 && (l.mode != modeHTML || t.inTag):
			j := stringEnd(s, i)
			k := String
			if l.mode == modeJSON && strings.HasPrefix(strings.TrimLeft(s[j:], " \t"), ":") {
				k = Keyword
			}
			t.emit(i, j, k)
			i = j
		case c >= '0' && c <= '9':
			j := identEnd(s, i, ".")
			t.emit(i, j, Number)
			i = j
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !isIdentStart(r) {
				t.emit(i, i+n, Plain)
				i += n
				continue
			}
			extra := ""
			if l.mode == modeCSS {
				extra = "-"
			}
			j := identEnd(s, i, extra)
			t.emit(i, j, t.wordKind(s[i:j], s[j:]))
			i = j
		}
	}
}

// lineStart handles what only the start of a line can be, and returns where
// the ordinary scan continues.
func (t *tokenizer) lineStart() int {
	l, s := t.l, t.s
	ind := len(s) - len(strings.TrimLeft(s, " \t"))
	rest := s[ind:]
	switch {
	case l.mode == modeMarkdown && (strings.HasPrefix(rest, "#") || strings.HasPrefix(rest, "```") || strings.HasPrefix(rest, "~~~")):
		t.emit(0, len(s), Keyword)
		return len(s)
	case l.hashWord && strings.HasPrefix(rest, "#"):
		j := identEnd(s, ind+1, "")
		t.emit(0, ind, Plain)
		t.emit(ind, j, Keyword)
		return j
	case l.mode == modeKeyValue:
		if strings.HasPrefix(rest, "[") {
			if end := strings.LastIndexByte(rest, ']'); end > 0 {
				t.emit(0, ind, Plain)
				t.emit(ind, ind+end+1, Keyword)
				return ind + end + 1
			}
		}
		k := ind
		if strings.HasPrefix(rest, "- ") {
			k += 2
		}
		j := k
		for j < len(s) && (isIdentPart(rune(s[j])) || strings.IndexByte(".-\"'", s[j]) >= 0) {
			j++
		}
		after := strings.TrimLeft(s[j:], " ")
		if j > k && (strings.HasPrefix(after, ":") || strings.HasPrefix(after, "=") && !strings.HasPrefix(after, "==")) {
			t.emit(0, k, Plain)
			t.emit(k, j, Keyword)
			return j
		}
	case l.mode == modeMake && ind == 0:
		colon := strings.IndexByte(s, ':')
		if colon > 0 && !strings.ContainsAny(s[:colon], "=$#\t ") {
			t.emit(0, colon, Keyword)
			return colon
		}
	}
	return 0
}

func (t *tokenizer) lineComment(i int) bool {
	for _, lc := range t.l.line {
		if strings.HasPrefix(t.s[i:], lc) {
			if lc == "#" && t.l.hashSpace && i > 0 && t.s[i-1] != ' ' && t.s[i-1] != '\t' && t.s[i-1] != ';' {
				return false
			}
			return true
		}
	}
	return false
}

func (t *tokenizer) wordKind(w, rest string) Kind {
	l := t.l
	if l.mode == modeCSS {
		if strings.HasPrefix(strings.TrimLeft(rest, " "), ":") && !t.inTag {
			return Keyword
		}
		return Plain
	}
	if l.mode == modeHTML || l.mode == modeMarkdown {
		return Plain
	}
	key := w
	if l.foldCase {
		key = strings.ToLower(w)
	}
	switch {
	case l.keywords[key]:
		return Keyword
	case l.types[key]:
		return Type
	}
	return Plain
}

// stringEnd is the end of the string opened at s[i]: after its closing quote
// (a backslash escapes one character), or the end of the line.
func stringEnd(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return len(s)
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// identEnd is the end of the identifier (or number) starting at s[i]; extra
// lists more bytes that may continue it.
func identEnd(s string, i int, extra string) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isIdentPart(r) && (r >= utf8.RuneSelf || strings.IndexByte(extra, byte(r)) < 0) {
			break
		}
		i += n
	}
	return i
}

// ForFile picks a language from a file's name, then from hint (a language
// name such as a code fence's info string or a diff's language). Unknown: nil.
func ForFile(file, hint string) *Lang {
	reg := registry()
	base := strings.ToLower(path.Base(file))
	if file != "" {
		if l := reg.byName[base]; l != nil {
			return l
		}
		if strings.HasPrefix(base, "dockerfile") || strings.HasSuffix(base, ".dockerfile") {
			return reg.byAlias["dockerfile"]
		}
		if ext := path.Ext(base); ext != "" {
			if l := reg.byExt[ext[1:]]; l != nil {
				return l
			}
		}
	}
	hint = strings.ToLower(strings.TrimSpace(hint))
	if f := strings.Fields(hint); len(f) > 0 {
		hint = strings.Trim(f[0], "{}.")
	}
	if l := reg.byAlias[hint]; l != nil {
		return l
	}
	return reg.byExt[hint]
}
