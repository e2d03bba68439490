/*
 * relro_extend FILE — makes FILE's PT_GNU_RELRO end where .got.plt ends,
 * in the middle of a page: a layout ld.so accepts (it protects only the
 * whole pages of the range, rounding the end down, so the rest of that
 * page — .data here — stays writable), as linkers make it when their
 * common page size is smaller than the page size.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return perror(argv[1]), 2;
	unsigned char *m = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return perror("mmap"), 2;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)m;
	Elf64_Phdr *ph = (Elf64_Phdr *)(m + eh->e_phoff);
	Elf64_Shdr *sh = (Elf64_Shdr *)(m + eh->e_shoff);
	const char *names = (const char *)m + sh[eh->e_shstrndx].sh_offset;
	Elf64_Shdr *gotplt = NULL;
	for (int i = 0; i < eh->e_shnum; i++)
		if (strcmp(names + sh[i].sh_name, ".got.plt") == 0)
			gotplt = &sh[i];
	for (int i = 0; gotplt && i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_GNU_RELRO) {
			Elf64_Addr end = gotplt->sh_addr + gotplt->sh_size;
			if (end <= ph[i].p_vaddr || (end & 4095) == 0)
				break;
			ph[i].p_memsz = ph[i].p_filesz = end - ph[i].p_vaddr;
			munmap(m, st.st_size);
			return 0;
		}
	fprintf(stderr, "relro_extend: %s: no PT_GNU_RELRO and .got.plt to extend it over\n", argv[1]);
	return 1;
}
