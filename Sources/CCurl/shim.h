// Typed wrappers around libcurl's variadic calls, which Swift cannot call directly.
#ifndef SKAV_CCURL_SHIM_H
#define SKAV_CCURL_SHIM_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/prctl.h>

typedef size_t (*skav_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*skav_curl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                      curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode skav_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode skav_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode skav_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode skav_curl_set_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode skav_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode skav_curl_set_data_cb(CURL *h, CURLoption o, skav_curl_data_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode skav_curl_set_xferinfo_cb(CURL *h, skav_curl_xferinfo_cb v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

static inline CURLcode skav_curl_get_long(CURL *h, CURLINFO i, long *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode skav_curl_get_off(CURL *h, CURLINFO i, curl_off_t *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode skav_curl_get_double(CURL *h, CURLINFO i, double *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode skav_curl_get_string(CURL *h, CURLINFO i, char **out) { return curl_easy_getinfo(h, i, out); }

/// Names the calling thread (at most 15 bytes are kept), as `top -H` and `/proc/<pid>/task/*/comm` show it.
static inline void skav_name_this_thread(const char *name) { prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }

static inline CURLMcode skav_curl_multi_set_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

static inline unsigned int skav_curl_version_now(void) { return CURLVERSION_NOW; }
static inline long skav_curl_global_default(void) { return CURL_GLOBAL_DEFAULT; }

#endif
