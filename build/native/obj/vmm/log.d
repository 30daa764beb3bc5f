build/native/obj/vmm/log.o: vmm/log.c vmm/log.h vmm/compiler.h
vmm/log.h:
vmm/compiler.h:
