package transcript

import (
	"strings"
	"sync"

	"gitlab.com/wend/wend/ui/markdown"
	"gitlab.com/wend/wend/ui/styles"
)

// margin indents the model's text under the user's "› " prompts.
const margin = "  "

// Renderers shares one markdown renderer per theme between models. A renderer
// holds no mutable state, so commands for different entries use it at once.
type Renderers struct {
	mu sync.Mutex
	m  map[rkey]*markdown.Renderer
}

type rkey struct{ dark, noColor bool }

// NewRenderers returns an empty pool.
func NewRenderers() *Renderers { return &Renderers{m: map[rkey]*markdown.Renderer{}} }

// For returns the renderer for st's theme.
func (rs *Renderers) For(st styles.Styles) *markdown.Renderer {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k := rkey{st.Dark, st.NoColor}
	r, ok := rs.m[k]
	if !ok {
		r = markdown.New(st)
		rs.m[k] = r
	}
	return r
}

// renderBlock renders one markdown block into lines, indented by the margin.
// It is the expensive call and runs only inside commands.
func renderBlock(r *markdown.Renderer, width int, src string) []string {
	lines := r.Render(src, max(width-len(margin), 1))
	for i, l := range lines {
		if l != "" {
			lines[i] = margin + l
		}
	}
	return lines
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
