/* ms-reuse-private.h - whether the core may keep freed blocks for reuse.
 *
 * Events and token chunks are recycled per thread instead of going back to
 * malloc. A recycled block would hide a use after free from
 * AddressSanitizer, so with it every block is allocated and freed for real. */
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define MS_REUSE_BLOCKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MS_REUSE_BLOCKS 0
#endif
#endif
#ifndef MS_REUSE_BLOCKS
#define MS_REUSE_BLOCKS 1
#endif
