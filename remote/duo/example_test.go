package duo_test

import (
	"context"
	"errors"
	"io"
	"log"
	"os"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
)

// The executor loop: answer every action, fold checkpoints, and open a new stream
// for each turn until the workflow is over.
func ExampleClient_Start() {
	ctx := context.Background()
	c, err := duo.New(duo.Options{BaseURL: "https://gitlab.example.com", Token: os.Getenv("GITLAB_TOKEN"), ClientVersion: "wend/1.0"})
	if err != nil {
		log.Fatal(err)
	}
	tracker := &duo.Tracker{Incremental: true} // DefaultCapabilities declare incremental_streaming
	opts := duo.StartOptions{ProjectID: "group/project", Goal: "Fix the failing test"}
	for {
		s, err := c.Start(ctx, opts)
		if err != nil {
			log.Fatal(err)
		}
		for {
			a, err := s.Recv(ctx)
			if duo.IsRetryable(err) {
				_ = s.Close()
				if s, err = duo.Reconnect(ctx, c.WebSocket(duo.WebSocketOptions{ProjectID: "group/project"}), s.StartRequest(), duo.Backoff{}); err != nil {
					log.Fatal(err)
				}
				continue
			}
			if errors.Is(err, io.EOF) {
				break // the turn is over
			}
			if err != nil {
				log.Fatal(err)
			}
			if nc := a.GetNewCheckpoint(); nc != nil {
				if _, err := tracker.Apply(nc); err != nil {
					log.Print(err)
				}
				continue
			}
			out, execErr := execute(a) // run it with wend's tools
			_ = s.Respond(ctx, a.GetRequestID(), out, execErr)
		}
		_ = s.Close()
		opts.WorkflowID = s.WorkflowID()
		switch tracker.Status {
		case duo.StatusToolCallApprovalRequired:
			opts.Goal, opts.Approval = "", duo.Approve("", "", false) // after asking the user
		case duo.StatusInputRequired:
			opts.Goal, opts.Approval = "the user's next message", nil
		default:
			return // finished, failed, stopped (or plan approval: see SendEvent)
		}
	}
}

func execute(*contract.Action) (string, error) { return "", errors.New("not implemented") }
