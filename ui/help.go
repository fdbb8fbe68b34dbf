package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"gitlab.com/wend/wend/ui/keys"
)

// helpPages is the ? overlay for a w×h screen, generated from the key map so it
// always tells the truth. Groups are packed into columns without being split
// (unless one alone is taller than the screen), columns sized to their longest
// description; the columns that do not fit across go to further pages, which
// the scroll keys turn. Descriptions are cut only when one column is wider than
// the screen.
func (m *Model) helpPages(w, h int) []string {
	km := m.km
	if m.plan.Locked {
		km = m.hintKeyMap() // the session is over: no plan edit applies
	}
	type cell struct{ title, key, desc string }
	rows := max(h-2, 3) // two for the header
	var cols [][]cell
	var cur []cell
	for _, g := range km.Groups() {
		var group []cell
		for _, b := range g.Bindings {
			if b.Enabled() {
				group = append(group, cell{key: b.Help().Key, desc: b.Help().Desc})
			}
		}
		title := g.Title
		for len(group) > 0 {
			need := 1 + len(group)
			if len(cur) > 0 {
				need++ // a blank row between groups
			}
			if len(cur)+need > rows && len(cur) > 0 {
				cols, cur = append(cols, cur), nil
				continue
			}
			if len(cur) > 0 {
				cur = append(cur, cell{})
			}
			n := min(len(group), rows-len(cur)-1)
			cur = append(cur, cell{title: title})
			cur = append(cur, group[:n]...)
			group = group[n:]
			title = g.Title + " (cont.)"
			if len(group) > 0 {
				cols, cur = append(cols, cur), nil
			}
		}
	}
	if len(cur) > 0 {
		cols = append(cols, cur)
	}
	keyW, width := 0, make([]int, len(cols))
	for _, c := range cols {
		for _, x := range c {
			keyW = max(keyW, ansi.StringWidth(x.key))
		}
	}
	keyW = min(keyW, 12) + 2
	for i, c := range cols {
		for _, x := range c {
			width[i] = max(width[i], keyW+ansi.StringWidth(x.desc)+2, ansi.StringWidth(x.title)+2)
		}
		width[i] = min(width[i], w)
	}
	render := func(c cell, cw int) string {
		switch {
		case c.title != "":
			return m.st.Bold.Render(ansi.Truncate(c.title, cw, "…"))
		case c.key == "":
			return ""
		}
		return m.st.Key.Render(pad(ansi.Truncate(c.key, keyW-1, "…"), keyW)) +
			m.st.KeyDesc.Render(ansi.Truncate(c.desc, max(cw-keyW-1, 1), "…"))
	}
	// Pages: as many columns as fit across.
	var pageCols [][]int
	for i, used := 0, 0; i < len(cols); i++ {
		if len(pageCols) == 0 || used+width[i] > w {
			pageCols = append(pageCols, nil)
			used = 0
		}
		pageCols[len(pageCols)-1] = append(pageCols[len(pageCols)-1], i)
		used += width[i]
	}
	pages := make([]string, 0, len(pageCols))
	for p, ci := range pageCols {
		head := m.st.Title.Render("Keys") + m.st.Muted.Render("  (any key closes)")
		if len(pageCols) > 1 {
			head = m.st.Title.Render("Keys") + m.st.Muted.Render("  page "+itoa(p+1)+"/"+itoa(len(pageCols))+
				" · "+m.km.ScrollDown.Help().Key+"/"+m.km.ScrollUp.Help().Key+" turn · any other key closes")
		}
		out := []string{ansi.Truncate(head, w, "…"), ""}
		for r := 0; r < rows; r++ {
			var line strings.Builder
			empty := true
			for _, c := range ci {
				if r < len(cols[c]) {
					if cols[c][r] != (cell{}) {
						empty = false
					}
					line.WriteString(pad(render(cols[c][r], width[c]), width[c]))
				} else {
					line.WriteString(strings.Repeat(" ", width[c]))
				}
			}
			if empty && r >= maxLen(cols, ci) {
				break
			}
			out = append(out, ansi.Truncate(strings.TrimRight(line.String(), " "), w, ""))
		}
		pages = append(pages, strings.Join(out, "\n"))
	}
	return pages
}

func maxLen[T any](cols [][]T, idx []int) int {
	n := 0
	for _, i := range idx {
		n = max(n, len(cols[i]))
	}
	return n
}

// helpKey handles a key while the help is open: the scroll keys turn its pages,
// anything else closes it.
func (m *Model) helpKey(km keys.KeyMap, isNext, isPrev bool) {
	n := len(m.helpPages(m.width, m.helpHeight()))
	switch {
	case isNext && m.helpPage < n-1:
		m.helpPage++
	case isPrev && m.helpPage > 0:
		m.helpPage--
	case isNext || isPrev:
	default:
		m.help = false
		m.helpPage = 0
	}
}

// helpHeight: the help takes the screen but the status bar, so it fits small
// terminals (the key hint and input come back when it closes).
func (m *Model) helpHeight() int { return max(m.height-1, 4) }

// helpView is the open page, exactly the help's height.
func (m *Model) helpView() string {
	pages := m.helpPages(m.width, m.helpHeight())
	p := pages[min(m.helpPage, len(pages)-1)]
	return strings.Join(fit(strings.Split(p, "\n"), m.helpHeight()), "\n")
}
