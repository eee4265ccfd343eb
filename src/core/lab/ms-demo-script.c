/* ms-demo-script.c - the scripted second IMAP client of the shared demo:
 * in its own thread it logs in, flags message 1, deletes and expunges
 * message 2 and logs out, posting its transcript to the demo's context. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-demo-private.h"

/* A scripted client's reads and connects give up after this long. */
#define MS_DEMO_SCRIPT_TIMEOUT_S 10
/* Longest line the scripted client accepts from the lab server. */
#define MS_DEMO_SCRIPT_MAX_LINE 65536

typedef struct {
  Run *run;
  GCancellable *alive;         /* the demo's; cancelled once it is freed */
  char who;
  char *text;
  gboolean done;
} ScriptLine;

static gboolean
deliver_script_line (gpointer data)
{
  ScriptLine *l = data;
  Run *r = l->run;
  if (g_cancellable_is_cancelled (l->alive))
    return G_SOURCE_REMOVE;
  if (l->done)
    {
      r->script_error = l->text;
      l->text = NULL;
      g_thread_join (r->script);
      r->script = NULL;
      ms_demo_run_finished (r, r->script_error);
    }
  else if (r->demo->cb.transcript)
    r->demo->cb.transcript (r->demo, &r->pub, l->who, l->text, r->demo->user_data);
  return G_SOURCE_REMOVE;
}

static void
free_script_line (gpointer data)
{
  ScriptLine *l = data;
  g_object_unref (l->alive);
  g_free (l->text);
  g_free (l);
}

/* From the script thread: a transcript line (or the end, with the error
 * text or NULL) for the demo's context. */
static void
script_post (Run *r, char who, const char *text, gboolean done)
{
  ScriptLine *l = g_new0 (ScriptLine, 1);
  l->run = r;
  l->who = who;
  l->text = g_strdup (text);
  l->done = done;
  l->alive = g_object_ref (r->demo->alive);
  /* Always through a source: g_main_context_invoke() would run the line in
   * this thread when the context happens to be free, and the last line
   * joins this very thread. */
  GSource *src = g_idle_source_new ();
  g_source_set_priority (src, G_PRIORITY_DEFAULT);
  g_source_set_callback (src, deliver_script_line, l, free_script_line);
  g_source_attach (src, r->demo->ctx);
  g_source_unref (src);
}

/* Reads one CRLF line (without it); NULL with error at the end, on a read
 * error or past MS_DEMO_SCRIPT_MAX_LINE. */
static char *
script_read_line (GBufferedInputStream *in, GError **error)
{
  GString *line = g_string_new (NULL);
  for (;;)
    {
      int c = g_buffered_input_stream_read_byte (in, NULL, error);
      if (c < 0 || line->len >= MS_DEMO_SCRIPT_MAX_LINE)
        {
          if (c >= 0 || (error && *error == NULL))
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         c < 0 ? _("the server closed the connection")
                               : _("the server sent an overlong line"));
          g_string_free (line, TRUE);
          return NULL;
        }
      if (c == '\n')
        break;
      g_string_append_c (line, (char) c);
    }
  if (line->len && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

/* Sends "TAG COMMAND" and reads up to the tagged answer; FALSE unless it is
 * OK. */
static gboolean
script_command (Run *r, GOutputStream *out, GBufferedInputStream *in, const char *tag,
                const char *command, GError **error)
{
  g_autofree char *line = g_strdup_printf ("%s %s\r\n", tag, command);
  g_autofree char *shown = g_str_has_prefix (command, "LOGIN ")
                             ? g_strdup_printf ("%s LOGIN %s ********", tag, MS_DEMO_USER)
                             : g_strdup_printf ("%s %s", tag, command);
  script_post (r, 'C', shown, FALSE);
  if (!g_output_stream_write_all (out, line, strlen (line), NULL, NULL, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *answer = script_read_line (in, error);
      if (answer == NULL)
        return FALSE;
      script_post (r, 'S', answer, FALSE);
      if (g_str_has_prefix (answer, tag) && answer[strlen (tag)] == ' ')
        {
          if (g_str_has_prefix (answer + strlen (tag) + 1, "OK"))
            return TRUE;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the server refused %s: %s"),
                       command, answer);
          return FALSE;
        }
    }
}

/* The second IMAP client of the shared demo, in its own thread: logs in on
 * plain IMAP, flags message 1, deletes and expunges message 2, logs out. */
gpointer
ms_demo_script_thread (gpointer data)
{
  Run *r = data;
  MsDemo *d = r->demo;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) sc = g_socket_client_new ();
  g_socket_client_set_timeout (sc, MS_DEMO_SCRIPT_TIMEOUT_S);
  g_autofree char *addr = g_strdup_printf ("127.0.0.1:%u", d->ports[MS_LAB_IMAP]);
  g_autoptr (GSocketConnection) conn
    = g_socket_client_connect_to_host (sc, addr, d->ports[MS_LAB_IMAP], NULL, &error);
  static const char *const script[][2] = {
    { "f1", "LOGIN " MS_DEMO_USER " " MS_DEMO_PASSWORD },
    { "f2", "SELECT INBOX" },
    { "f3", "STORE 1 +FLAGS (\\Flagged)" },
    { "f4", "STORE 2 +FLAGS (\\Deleted)" },
    { "f5", "EXPUNGE" },
    { "f6", "LOGOUT" },
  };

  if (conn != NULL)
    {
      GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
      g_autoptr (GInputStream) in
        = g_buffered_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
      g_autofree char *greeting = script_read_line (G_BUFFERED_INPUT_STREAM (in), &error);
      if (greeting)
        script_post (r, 'S', greeting, FALSE);
      for (guint i = 0; greeting && i < G_N_ELEMENTS (script); i++)
        if (!script_command (r, out, G_BUFFERED_INPUT_STREAM (in), script[i][0], script[i][1],
                             &error))
          break;
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
  script_post (r, '-', error ? error->message : NULL, TRUE);
  return NULL;
}
