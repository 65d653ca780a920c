#include <stdio.h>
int main(void)
{
	puts("rdprobe: under construction");
	return 0;
}
