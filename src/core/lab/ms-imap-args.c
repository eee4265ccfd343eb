/* ms-imap-args.c - the IMAP command argument parser (RFC 3501 §9): atoms
 * (with bracketed sections such as BODY[HEADER]), quoted strings,
 * literals the reader has already collected (LITERAL+ RFC 7888 and
 * literal8 "~{n}"), nested parenthesised lists within IMAP_MAX_DEPTH and
 * IMAP_MAX_ARGS, the tag check, and the accessors the command files use. */
#include "config.h"

#include <string.h>

#include "ms-imap-server-private.h"

void
ms_imap_arg_free (gpointer data)
{
  ImapArg *a = data;
  g_free (a->str);
  if (a->list)
    g_ptr_array_unref (a->list);
  g_free (a);
}

ImapArg *
ms_imap_arg (ImapCmd *cmd, guint i)
{
  return i < cmd->args->len ? cmd->args->pdata[i] : NULL;
}

gboolean
ms_imap_arg_is_atom (const ImapArg *a, const char *word)
{
  return a && a->type == IMAP_ARG_ATOM && g_ascii_strcasecmp (a->str, word) == 0;
}

const char *
ms_imap_arg_astring (const ImapArg *a)
{
  return a && a->type != IMAP_ARG_LIST ? a->str : NULL;
}

gboolean
ms_imap_is_atom_char (guint8 c)
{
  return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '"' && c != '{';
}

/* Reads one argument list up to the end of the command (depth 0) or the
 * closing parenthesis; FALSE on malformed input. */
gboolean
ms_imap_parse_list (ImapParser *ps, GPtrArray *out, guint depth)
{
  for (;;)
    {
      while (ps->pos < ps->len && ps->p[ps->pos] == ' ')
        ps->pos++;
      if (ps->pos >= ps->len || ps->p[ps->pos] == '\r' || ps->p[ps->pos] == '\n')
        return depth == 0;
      guint8 c = ps->p[ps->pos];
      if (c == ')')
        {
          if (depth == 0)
            return FALSE;
          ps->pos++;
          return TRUE;
        }
      if (++ps->n_args > IMAP_MAX_ARGS)
        return FALSE;
      ImapArg *a = g_new0 (ImapArg, 1);
      g_ptr_array_add (out, a);
      if (c == '(')
        {
          if (depth + 1 > IMAP_MAX_DEPTH)
            return FALSE;
          ps->pos++;
          a->type = IMAP_ARG_LIST;
          a->list = g_ptr_array_new_with_free_func (ms_imap_arg_free);
          if (!ms_imap_parse_list (ps, a->list, depth + 1))
            return FALSE;
        }
      else if (c == '"')
        {
          GString *str = g_string_new (NULL);
          ps->pos++;
          gboolean closed = FALSE;
          while (ps->pos < ps->len)
            {
              guint8 ch = ps->p[ps->pos++];
              if (ch == '"')
                {
                  closed = TRUE;
                  break;
                }
              if (ch == '\r' || ch == '\n' || ch == 0)
                break;
              if (ch == '\\')
                {
                  if (ps->pos >= ps->len)
                    break;
                  ch = ps->p[ps->pos++];
                  if (ch != '"' && ch != '\\')
                    break;
                }
              g_string_append_c (str, (char) ch);
            }
          a->type = IMAP_ARG_STRING;
          a->len = str->len;
          a->str = g_string_free (str, FALSE);
          if (!closed)
            return FALSE;
        }
      else if (c == '{' || (c == '~' && ps->pos + 1 < ps->len && ps->p[ps->pos + 1] == '{'))
        {
          /* The reader checked the size and that the bytes are there. */
          ps->pos += c == '~' ? 2 : 1;
          guint64 n = 0;
          while (ps->pos < ps->len && g_ascii_isdigit (ps->p[ps->pos]))
            n = n * 10 + (guint64) (ps->p[ps->pos++] - '0');
          if (ps->pos < ps->len && ps->p[ps->pos] == '+')
            ps->pos++;
          if (ps->pos + 1 >= ps->len || ps->p[ps->pos] != '}')
            return FALSE;
          ps->pos++;
          if (ps->p[ps->pos] == '\r')
            ps->pos++;
          if (ps->pos >= ps->len || ps->p[ps->pos] != '\n')
            return FALSE;
          ps->pos++;
          if (n > ps->len - ps->pos)
            return FALSE;
          a->type = IMAP_ARG_STRING;
          a->literal = TRUE;
          a->len = (gsize) n;
          a->str = g_malloc (a->len + 1);
          memcpy (a->str, ps->p + ps->pos, a->len);
          a->str[a->len] = '\0';
          ps->pos += a->len;
        }
      else if (ms_imap_is_atom_char (c))
        {
          gsize start = ps->pos;
          guint brackets = 0;
          while (ps->pos < ps->len)
            {
              guint8 ch = ps->p[ps->pos];
              if (ch == '[')
                brackets++;
              else if (ch == ']' && brackets > 0)
                brackets--;
              else if (brackets == 0 && !ms_imap_is_atom_char (ch))
                break;
              else if (brackets > 0 && (ch == '\r' || ch == '\n' || ch == 0))
                break;
              ps->pos++;
            }
          a->type = IMAP_ARG_ATOM;
          a->len = ps->pos - start;
          a->str = g_strndup ((const char *) ps->p + start, a->len);
          if (brackets)
            return FALSE;
        }
      else
        return FALSE;
      if (ps->pos < ps->len && ps->p[ps->pos] != ' ' && ps->p[ps->pos] != ')'
          && ps->p[ps->pos] != '\r' && ps->p[ps->pos] != '\n')
        return FALSE;
    }
}

gboolean
ms_imap_valid_tag (const char *tag)
{
  if (*tag == '\0')
    return FALSE;
  for (const char *p = tag; *p; p++)
    if (!ms_imap_is_atom_char ((guint8) *p) || *p == '+' || *p == '*' || *p == '%' || *p == '\\'
        || *p == ']')
      return FALSE;
  return TRUE;
}
