package transcript

import (
	"strings"
	"sync"

	"charm.land/glamour/v2"
	gansi "charm.land/glamour/v2/ansi"
	glamstyles "charm.land/glamour/v2/styles"
	"github.com/charmbracelet/x/ansi"
)

// Renderers shares glamour renderers across render commands, one per (style,
// width). A glamour renderer is not safe for concurrent use, so each has a lock;
// commands for different entries may run at the same time.
type Renderers struct {
	mu sync.Mutex
	m  map[rkey]*lockedRenderer
}

type rkey struct {
	style string
	width int
}

type lockedRenderer struct {
	mu sync.Mutex
	r  *glamour.TermRenderer
}

// NewRenderers returns an empty pool.
func NewRenderers() *Renderers { return &Renderers{m: map[rkey]*lockedRenderer{}} }

func (rs *Renderers) get(style string, width int) *lockedRenderer {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k := rkey{style, width}
	if r, ok := rs.m[k]; ok {
		return r
	}
	// terminal16m: the 256-colour formatter searches the palette for every token,
	// which was a fifth of all streaming CPU; the terminal downsamples if needed.
	r, err := glamour.NewTermRenderer(glamour.WithStyles(styleConfig(style)), glamour.WithWordWrap(width),
		glamour.WithChromaFormatter("terminal16m"))
	lr := &lockedRenderer{}
	if err == nil {
		lr.r = r
	}
	if len(rs.m) > 8 { // old widths after resizes
		clear(rs.m)
	}
	rs.m[k] = lr
	return lr
}

// styleConfig is glamour's standard style without a document colour: with one,
// every padding space is wrapped in its own SGR sequence, which made rendering
// four times slower and its output six times larger. The terminal's default
// foreground is what the document colour approximated anyway.
func styleConfig(name string) gansi.StyleConfig {
	var cfg gansi.StyleConfig
	switch name {
	case "light":
		cfg = glamstyles.LightStyleConfig
	case "notty":
		return glamstyles.NoTTYStyleConfig
	default:
		cfg = glamstyles.DarkStyleConfig
	}
	cfg.Document.Color = nil
	return cfg
}

// Render renders one markdown block into trimmed lines. It is the expensive call
// and runs only inside commands.
func (rs *Renderers) Render(style string, width int, src string) []string {
	lr := rs.get(style, width)
	if lr.r == nil {
		return plainLines(src, width)
	}
	lr.mu.Lock()
	out, err := lr.r.Render(src)
	lr.mu.Unlock()
	if err != nil {
		return plainLines(src, width)
	}
	return trimLines(out)
}

// trailingPad returns where the run of spaces and SGR sequences that ends l
// starts: what follows carries nothing visible.
func trailingPad(l string) int {
	i := len(l)
	for i > 0 {
		switch {
		case l[i-1] == ' ':
			i--
		case l[i-1] == 'm':
			j := i - 2
			for j >= 0 && (l[j] >= '0' && l[j] <= '9' || l[j] == ';') {
				j--
			}
			if j >= 1 && l[j] == '[' && l[j-1] == '\x1b' {
				i = j - 1
				continue
			}
			return i
		default:
			return i
		}
	}
	return i
}

// trimLines splits rendered output into lines, dropping glamour's padding: the
// blank lines around a block and the styled spaces that fill each line to the
// wrap width (they cost memory and bytes on every frame).
func trimLines(s string) []string {
	raw := strings.Split(s, "\n")
	out := make([]string, 0, len(raw))
	for _, l := range raw {
		if strings.IndexByte(l, '\x1b') >= 0 {
			if cut := trailingPad(l); cut < len(l) {
				l = l[:cut]
				if strings.IndexByte(l, '\x1b') >= 0 {
					l += "\x1b[m"
				}
			}
		} else {
			l = strings.TrimRight(l, " ")
		}
		out = append(out, l)
	}
	// Drop blank lines at both ends.
	start, end := 0, len(out)
	for start < end && strings.TrimSpace(ansi.Strip(out[start])) == "" {
		start++
	}
	for end > start && strings.TrimSpace(ansi.Strip(out[end-1])) == "" {
		end--
	}
	return out[start:end:end]
}

// plainLines is the fallback when glamour fails: the source, wrapped.
func plainLines(src string, width int) []string {
	return strings.Split(ansi.Wrap(strings.TrimRight(src, "\n"), max(width, 1), " "), "\n")
}

// splitter finds finished markdown blocks in growing text: a block ends at a blank
// line outside a fenced code block. It scans each byte once.
type splitter struct {
	scanned   int // bytes of complete lines already scanned
	blockFrom int // start of the unfinished block
	fence     string
}

// scan looks at complete lines of buf after the last scan and returns the end
// offsets of blocks that finished.
func (sp *splitter) scan(buf []byte, ends []int) []int {
	for {
		nl := indexByte(buf[sp.scanned:], '\n')
		if nl < 0 {
			return ends
		}
		line := string(buf[sp.scanned : sp.scanned+nl])
		sp.scanned += nl + 1
		t := strings.TrimSpace(line)
		if sp.fence != "" {
			if strings.HasPrefix(t, sp.fence) && strings.Trim(t, sp.fence[:1]) == "" {
				sp.fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			n := 0
			for n < len(t) && t[n] == t[0] {
				n++
			}
			sp.fence = t[:n]
			continue
		}
		if t == "" {
			if strings.TrimSpace(string(buf[sp.blockFrom:sp.scanned])) != "" {
				ends = append(ends, sp.scanned)
			}
			sp.blockFrom = sp.scanned
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
