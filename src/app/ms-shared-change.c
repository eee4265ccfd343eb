/* ms-shared-change.c - client B's changes to the shared mailbox and the
 * updates the server pushes to client A because of them (RFC 9051 7.5:
 * FETCH, EXPUNGE and EXISTS responses sent during IDLE). */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-shared-change.h"

void
ms_shared_change_free (gpointer data)
{
  MsSharedChange *c = data;
  g_free (c->verb);
  g_free (c->message);
  g_free (c->args);
  g_free (c);
}

/* "(\Seen \Flagged)" → "\Seen \Flagged" */
static char *
strip_parens (const char *s)
{
  gsize n = s ? strlen (s) : 0;
  if (n >= 2 && s[0] == '(' && s[n - 1] == ')')
    return g_strndup (s + 1, n - 2);
  return g_strdup (s ? s : "");
}

/* Client B's command, if it changes the mailbox: "f3 STORE 1 +FLAGS (\Seen)". */
MsSharedChange *
ms_shared_change_parse (const char *line)
{
  g_auto (GStrv) words = g_strsplit (line, " ", 4);
  guint n = g_strv_length (words);
  guint verb = 1;
  MsSharedChange *c;

  if (n > 2 && g_ascii_strcasecmp (words[1], "UID") == 0)
    verb = 2;
  if (n <= verb)
    return NULL;
  static const char *const verbs[] = { "STORE", "EXPUNGE", "APPEND", "COPY", "MOVE" };
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_ascii_strcasecmp (words[verb], verbs[i]) == 0)
      {
        c = g_new0 (MsSharedChange, 1);
        c->verb = g_strdup (verbs[i]);
        if (i == 0 || i == 3 || i == 4)
          {
            /* "TAG VERB SET ARGS" (the UID form shifts by one) */
            g_auto (GStrv) rest = g_strsplit (line, " ", verb + 3);
            if (g_strv_length (rest) > verb + 1)
              c->message = g_strdup (rest[verb + 1]);
            if (g_strv_length (rest) > verb + 2)
              c->args = g_strdup (rest[verb + 2]);
          }
        return c;
      }
  return NULL;
}

/* The change of client B that a pushed "* N FETCH|EXPUNGE|EXISTS" answers:
 * the first not yet answered of the right kind (for FETCH the same message),
 * else the latest of that kind. NULL for none (new mail, say). */
MsSharedChange *
ms_shared_change_find_cause (GPtrArray *changes, const char *pushed)
{
  g_auto (GStrv) words = g_strsplit (pushed, " ", 4);
  const char *kinds_fetch[] = { "STORE", NULL };
  const char *kinds_expunge[] = { "EXPUNGE", "MOVE", NULL };
  const char *kinds_exists[] = { "APPEND", "COPY", "MOVE", NULL };
  const char **kinds;
  MsSharedChange *latest = NULL;

  if (g_strv_length (words) < 3)
    return NULL;
  if (g_ascii_strcasecmp (words[2], "FETCH") == 0)
    kinds = kinds_fetch;
  else if (g_ascii_strcasecmp (words[2], "EXPUNGE") == 0)
    kinds = kinds_expunge;
  else if (g_ascii_strcasecmp (words[2], "EXISTS") == 0)
    kinds = kinds_exists;
  else
    return NULL;

  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < changes->len; i++)
      {
        MsSharedChange *c = changes->pdata[i];
        if (!g_strv_contains (kinds, c->verb))
          continue;
        latest = c;
        if (c->pushes > 0)
          continue;
        /* First pass: for FETCH, the same message number. */
        if (pass == 0 && kinds == kinds_fetch && g_strcmp0 (c->message, words[1]) != 0)
          continue;
        return c;
      }
  /* An EXISTS needs a change that adds; an old one would mislead. */
  return kinds == kinds_exists ? NULL : latest;
}

/* The sentence linking a pushed update to client B's change. */
char *
ms_shared_change_sentence (const MsSharedChange *c, const char *pushed, double at)
{
  g_autofree char *when = NULL;
  g_autofree char *later = NULL;

  if (c == NULL)
    {
      when = g_strdup_printf (_("%.2f s"), at);
      return g_strdup_printf (_("The server pushed “%s” to client A at %s."), pushed, when);
    }
  when = g_strdup_printf (_("%.2f s"), c->at);
  double ms = (at - c->at) * 1000.0;
  later = ms < 1.0 ? g_strdup (_("less than 1 ms")) : g_strdup_printf (_("%.0f ms"), ms);

  if (g_str_equal (c->verb, "STORE") && c->args)
    {
      /* "+FLAGS (\Seen)", "-FLAGS.SILENT (…)", "FLAGS (…)" */
      const char *flags = strchr (c->args, ' ');
      g_autofree char *list = strip_parens (flags ? flags + 1 : "");
      if (c->args[0] == '+')
        return g_strdup_printf (_("Client B stored %s on message %s at %s; the server pushed "
                                  "“%s” to client A %s later."),
                                list, c->message, when, pushed, later);
      if (c->args[0] == '-')
        return g_strdup_printf (_("Client B removed %s from message %s at %s; the server "
                                  "pushed “%s” to client A %s later."),
                                list, c->message, when, pushed, later);
      return g_strdup_printf (_("Client B set the flags of message %s to %s at %s; the server "
                                "pushed “%s” to client A %s later."),
                              c->message, list, when, pushed, later);
    }
  if (g_str_equal (c->verb, "EXPUNGE"))
    return g_strdup_printf (_("Client B expunged the messages marked \\Deleted at %s; the "
                              "server pushed “%s” to client A %s later."),
                            when, pushed, later);
  if (g_str_equal (c->verb, "APPEND"))
    return g_strdup_printf (_("Client B appended a message at %s; the server pushed “%s” to "
                              "client A %s later."),
                            when, pushed, later);
  return g_strdup_printf (_("Client B sent %s at %s; the server pushed “%s” to client A %s "
                            "later."),
                          c->verb, when, pushed, later);
}

/* Passwords as ******** when asked to (LOGIN, PASS, AUTHENTICATE). */
char *
ms_shared_mask_secret (const char *text)
{
  const char *sp = strchr (text, ' ');
  if (g_str_has_prefix (text, "PASS "))
    return g_strdup ("PASS ********");
  if (sp && g_ascii_strncasecmp (sp + 1, "LOGIN ", 6) == 0)
    {
      const char *user = sp + 7;
      const char *after = user[0] == '"' ? strchr (user + 1, '"') : strchr (user, ' ');
      if (after && after[0] == '"')
        after++;
      if (after && !g_str_has_suffix (text, "********"))
        return g_strdup_printf ("%.*s ********", (int) (after - text), text);
    }
  if (sp && g_ascii_strncasecmp (sp + 1, "AUTHENTICATE PLAIN ", 19) == 0)
    return g_strdup_printf ("%.*s AUTHENTICATE PLAIN ********", (int) (sp - text), text);
  return g_strdup (text);
}
