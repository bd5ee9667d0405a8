// Package mail sends the platform's own mail (password reset and invitation links,
// notices) through one small interface with two implementations:
//
//   - Outbox, the embedded default, writes each message as an RFC 5322 .eml file
//     under <data>/outbox/ (created atomically, mode 0600), for an operator to read or
//     for another mailer to pick up;
//   - SMTP sends through a mail server named by --smtp-url, with STARTTLS (or
//     implicit TLS for smtps://) required unless the server is on the loopback
//     interface.
//
// Both build the message the same way, and both refuse a header value that spans
// lines (CR or LF in a subject or address), so no caller can inject headers.
package mail
