// Package site stores backup objects on "sites": a local directory, an SFTP
// server reached with an SSH key, or an S3-compatible bucket. Each site has a
// name and a data-centre label; replication puts every object on sites in at
// least two data centres.
//
// Objects become visible only when complete. A local or SFTP site writes to a
// temporary name in the target directory and renames it into place; an S3
// site completes a multipart upload. Temporary names start with TempPrefix so
// that RemoveIncomplete can clean up after a killed process and List never
// shows them.
package site
