package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/remote/audit"
)

// auditOptions are what `wend audit` needs.
type auditOptions struct {
	verbIO
	filter audit.Filter
	since  string // --since, parsed against now
	json   bool
	now    func() time.Time
	// logPath is where the audit log is (audit.DefaultPath).
	logPath func() (string, error)
}

func newAuditCmd(g *globals) *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the requests wend made to GitLab and model providers",
		Long: `Every outgoing request is recorded as one JSON line (time, session, method, host,
path, status, bytes, duration): never a token, header value or query secret.`,
		Example: "  wend audit --since 2h\n  wend audit --host .gitlab.com --json\n  wend audit --session 20261123-101500-ab12cd",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.now, o.logPath = g.verbIO(), time.Now, audit.DefaultPath
			return runAudit(&o)
		},
	}
	cmd.Flags().StringVar(&o.filter.Session, "session", "", "only this session's requests")
	cmd.Flags().StringVar(&o.since, "since", "", "only requests since a duration ago (2h), a date or a time")
	cmd.Flags().StringVar(&o.filter.Host, "host", "", "only this host (or .suffix)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the records as JSON lines")
	return cmd
}

// runAudit is `wend audit`.
func runAudit(o *auditOptions) error {
	if o.since != "" {
		t, err := audit.ParseSince(o.since, o.now())
		if err != nil {
			return usageErr("--since %q: use a duration (2h), a date (2026-11-23) or an RFC 3339 time", o.since)
		}
		o.filter.Since = t
	}
	path, err := o.logPath()
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(o.out, "No requests recorded yet (%s).\n", path)
		return nil
	}
	if err != nil {
		return err
	}
	defer file.Close()
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
	if !o.json {
		fmt.Fprintln(tw, "TIME\tSESSION\tMETHOD\tHOST\tPATH\tSTATUS\tBYTES\tMS")
	}
	enc := json.NewEncoder(o.out)
	n := 0
	skipped, err := audit.Read(file, o.filter, func(r audit.Record) error {
		n++
		if o.json {
			return enc.Encode(r)
		}
		status := fmt.Sprint(r.Status)
		if r.Error != "" {
			status = r.Error
		}
		_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%.0f\n", r.Time.Local().Format("Jan 2 15:04:05"),
			r.Session, r.Method, r.Host, r.Path, status, r.Bytes, r.Duration)
		return err
	})
	if err != nil {
		return err
	}
	if !o.json {
		tw.Flush()
		if n == 0 {
			fmt.Fprintln(o.out, "(no matching requests)")
		}
	}
	if skipped > 0 {
		fmt.Fprintf(o.errOut, "wend: %d unreadable line(s) in %s were skipped\n", skipped, path)
	}
	return nil
}
