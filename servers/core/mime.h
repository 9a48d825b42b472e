/* Content-Type by file extension, case-insensitive.
 *   mime_type("css/site.CSS") == "text/css; charset=utf-8"
 * Unknown or missing extension: "application/octet-stream". */
#ifndef MIME_H
#define MIME_H

const char *mime_type(const char *path);

#endif
