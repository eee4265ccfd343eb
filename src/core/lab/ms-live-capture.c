/* ms-live-capture.c - a live capture of one interface: opened directly
 * when this process may capture, otherwise through the mailscope-capture
 * helper whose pcap stream is read from a pipe (and whose stats line and
 * errors are read from its standard error). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "ms-demo.h"

/* The helper's exit status when it may not capture (mailscope-capture.c). */
#define MS_HELPER_EXIT_PERMISSION 3
/* Bytes of the helper's standard error kept: its stats line and one error. */
#define MS_HELPER_MAX_STDERR 4096

struct _MsLiveCapture {
  MsSource *src;
  MsCaptureMode mode;
  GSubprocess *helper;
  gboolean stats_known;
  guint64 received, dropped;
};

const char *
ms_capture_helper_path (void)
{
  const char *env = g_getenv ("MAILSCOPE_CAPTURE_HELPER");
  return env && *env ? env : MS_CAPTURE_HELPER_PATH;
}

char *
ms_capture_permission_hint (void)
{
  return g_strdup_printf (_("allow it once, without running Mailscope as root, with: sudo "
                            "setcap cap_net_raw,cap_net_admin=eip %s"),
                          ms_capture_helper_path ());
}

/* Reads what the helper wrote to standard error (it has exited, or is about
 * to) and picks up its stats line. Returns the text, without the stats. */
static char *
helper_collect_stderr (MsLiveCapture *cap)
{
  GInputStream *err = g_subprocess_get_stderr_pipe (cap->helper);
  char buf[MS_HELPER_MAX_STDERR + 1];
  gsize n = 0;

  if (err == NULL)
    return g_strdup ("");
  g_input_stream_read_all (err, buf, MS_HELPER_MAX_STDERR, &n, NULL, NULL);
  buf[n] = '\0';
  GString *rest = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (buf, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      guint64 r, d;
      if (sscanf (lines[i], "mailscope-capture: stats received=%" G_GUINT64_FORMAT
                            " dropped=%" G_GUINT64_FORMAT, &r, &d) == 2)
        {
          cap->received = r;
          cap->dropped = d;
          cap->stats_known = TRUE;
        }
      else if (lines[i][0] != '\0')
        {
          const char *text = g_str_has_prefix (lines[i], "mailscope-capture: ")
                               ? lines[i] + strlen ("mailscope-capture: ")
                               : lines[i];
          if (rest->len)
            g_string_append (rest, "; ");
          g_string_append (rest, text);
        }
    }
  return g_string_free (rest, FALSE);
}

/* Spawns the helper and opens its stream: NULL with PERMISSION when it may
 * not capture either (or does not exist), _OPEN with its message otherwise. */
static gboolean
helper_open (MsLiveCapture *cap, const char *iface, const char *filter, GError **error)
{
  const char *path = ms_capture_helper_path ();
  g_autoptr (GError) local = NULL;
  g_autofree char *hint = ms_capture_permission_hint ();

  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                   _("no permission to capture on %s, and the capture helper %s is not "
                     "installed: run as root, or install Mailscope and then %s"),
                   iface, path, hint);
      return FALSE;
    }
  const char *argv[] = { path, "-i", iface, "-f", filter ? filter : "", NULL };
  cap->helper = g_subprocess_newv (argv,
                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                     | G_SUBPROCESS_FLAGS_STDERR_PIPE
                                     | G_SUBPROCESS_FLAGS_STDIN_INHERIT,
                                   &local);
  if (cap->helper == NULL)
    {
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                   _("no permission to capture on %s, and the capture helper could not "
                     "start (%s); %s"),
                   iface, local->message, hint);
      return FALSE;
    }
  GInputStream *out = g_subprocess_get_stdout_pipe (cap->helper);
  int fd = dup (g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (out)));
  if (fd >= 0)
    cap->src = ms_source_open_fd (fd, "mailscope-capture", &local);
  if (cap->src != NULL)
    {
      cap->mode = MS_CAPTURE_HELPER;
      return TRUE;
    }
  /* No header: the helper failed; its exit status says why. */
  g_subprocess_wait (cap->helper, NULL, NULL);
  g_autofree char *msg = helper_collect_stderr (cap);
  if (g_subprocess_get_if_exited (cap->helper)
      && g_subprocess_get_exit_status (cap->helper) == MS_HELPER_EXIT_PERMISSION)
    g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                 _("no permission to capture on %s; %s"), iface, hint);
  else
    g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                 _("cannot capture on %s: %s"), iface,
                 msg[0] ? msg : (local ? local->message : g_strerror (errno)));
  g_clear_object (&cap->helper);
  return FALSE;
}

MsLiveCapture *
ms_live_capture_open (const char *iface, const char *filter, GError **error)
{
  g_autoptr (GError) local = NULL;
  MsLiveCapture *cap = g_new0 (MsLiveCapture, 1);

  cap->src = ms_source_open_live (iface, filter, 0, &local);
  if (cap->src != NULL)
    {
      cap->mode = MS_CAPTURE_DIRECT;
      return cap;
    }
  if (!g_error_matches (local, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      g_free (cap);
      return NULL;
    }
  if (!helper_open (cap, iface, filter, error))
    {
      g_free (cap);
      return NULL;
    }
  return cap;
}

MsSource *
ms_live_capture_source (MsLiveCapture *cap)
{
  return cap->src;
}

MsCaptureMode
ms_live_capture_mode (MsLiveCapture *cap)
{
  return cap->mode;
}

void
ms_live_capture_stop (MsLiveCapture *cap)
{
  if (cap->helper != NULL)
    g_subprocess_send_signal (cap->helper, SIGTERM);
  else if (cap->src != NULL)
    ms_source_break (cap->src);
}

gboolean
ms_live_capture_stats (MsLiveCapture *cap, guint64 *received, guint64 *dropped)
{
  if (cap->mode == MS_CAPTURE_DIRECT)
    return ms_source_stats (cap->src, received, dropped);
  if (cap->helper != NULL && !cap->stats_known)
    {
      /* Only once its stream ended: then the helper has exited or is about
       * to. */
      g_subprocess_wait (cap->helper, NULL, NULL);
      g_free (helper_collect_stderr (cap));
    }
  if (!cap->stats_known)
    return FALSE;
  if (received)
    *received = cap->received;
  if (dropped)
    *dropped = cap->dropped;
  return TRUE;
}

void
ms_live_capture_close (MsLiveCapture *cap)
{
  if (cap == NULL)
    return;
  if (cap->helper != NULL)
    {
      g_subprocess_send_signal (cap->helper, SIGTERM);
      /* Closing our end first: a helper blocked on a full pipe sees EPIPE. */
      ms_source_close (cap->src);
      cap->src = NULL;
      g_subprocess_wait (cap->helper, NULL, NULL);
      g_object_unref (cap->helper);
    }
  ms_source_close (cap->src);
  g_free (cap);
}
